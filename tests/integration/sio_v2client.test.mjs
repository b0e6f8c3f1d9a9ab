// The official socket.io-client 2.x (Socket.IO v4 over Engine.IO v3, npm alias
// socket.io-client-v2) against the conformance server: the same scenarios
// over polling, websocket and upgrade.
import ioV2 from "socket.io-client-v2";
import { defineScenarios } from "./lib/sio_scenarios.mjs";
import { deadline } from "../lib/deadline.mjs";

const common = { forceNew: true, reconnection: false, timeout: deadline(5000) };

defineScenarios({
  label: "socket.io-client 2",
  eio: 3,
  // v2 has no auth option: the namespace query is its auth (sent in
  // "40/nsp?query,"); "/" is joined implicitly and has none.
  connect: (url, nsp, { transports, auth }) => ioV2(url + nsp, { ...common, transports, query: auth }),
  manager: (url, { transports }) => new ioV2.Manager(url, { reconnection: false, timeout: deadline(5000), transports }),
  socketOf: (manager, nsp, auth) => manager.socket(nsp, { query: auth }),
  expectedAuth: (nsp, auth) => (nsp === "/" || !auth ? {} : auth),
  // A refused namespace arrives as an ERROR packet: the "error" event.
  connectError: (socket) =>
    new Promise((resolve) => socket.once("error", (err) => resolve(typeof err === "string" ? err : err?.message))),
  // EIO=3: the client pings, the server answers with pong.
  heartbeatEvent: "pong",
});
