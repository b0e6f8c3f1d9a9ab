// The official socket.io-client 4.x (Socket.IO v5 over Engine.IO v4) against
// the conformance server: every scenario over polling, websocket and upgrade.
import { io, Manager } from "socket.io-client";
import { defineScenarios } from "./lib/sio_scenarios.mjs";
import { deadline } from "../lib/deadline.mjs";

const common = { forceNew: true, reconnection: false, timeout: deadline(5000) };

defineScenarios({
  label: "socket.io-client 4",
  eio: 4,
  connect: (url, nsp, { transports, auth }) => io(url + nsp, { ...common, transports, auth }),
  manager: (url, { transports }) => new Manager(url, { reconnection: false, timeout: deadline(5000), transports }),
  socketOf: (manager, nsp, auth) => manager.socket(nsp, { auth }),
  expectedAuth: (nsp, auth) => auth ?? {},
  connectError: (socket) => new Promise((resolve) => socket.once("connect_error", (err) => resolve(err.message))),
  // engine.io-client 6 emits "ping" for every server ping it answers.
  heartbeatEvent: "ping",
});
