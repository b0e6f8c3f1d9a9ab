// Socket.IO client scenarios shared by the official-client suites (4.x over
// EIO=4, 2.x over EIO=3). Each scenario runs over polling only, websocket
// only, and polling upgraded to websocket. An adapter hides the two clients'
// API differences (auth vs namespace query, error events, heartbeat events).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, sleep, withTimeout, PING_INTERVAL, PING_TIMEOUT, MAX_PAYLOAD } from "./server.mjs";
import { request, errorJson } from "./raw.mjs";
import { deadline } from "../../lib/deadline.mjs";

export const MODES = {
  polling: ["polling"],
  websocket: ["websocket"],
  upgrade: ["polling", "websocket"],
};

// Resolves with the args of the next `event` on `emitter`, within `ms`.
export function once(emitter, event, ms = 10000) {
  return withTimeout(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), ms, `event "${event}"`);
}

export function toBuffer(x) {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof ArrayBuffer) return Buffer.from(new Uint8Array(x));
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  throw new Error(`not binary: ${typeof x} ${JSON.stringify(x)}`);
}

// A ~300 kB string mixing ASCII, 2-byte UTF-8 and astral characters (two
// UTF-16 units each), so EIO=3 length prefixes are exercised too.
export function bigString() {
  return "0123456789abcdef-h\u00e9llo-\u{1F600}|".repeat(11000);
}

/*
 * adapter: {
 *   label, eio,
 *   connect(url, nsp, { transports, auth }) -> client socket (not yet connected)
 *   manager(url, { transports }) -> Manager; socketOf(manager, nsp, auth) -> socket
 *   expectedAuth(nsp, auth) -> what the server's "auth" event should carry
 *   connectError(socket) -> Promise<string> message of a refused namespace
 *   heartbeatEvent: engine event counted once per heartbeat
 * }
 */
export function defineScenarios(adapter) {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
  });

  for (const [mode, transports] of Object.entries(MODES)) {
    describe(`${adapter.label} over ${mode}`, () => {
      const open = [];
      after(() => {
        for (const s of open.splice(0)) s.disconnect();
      });

      // Connects a socket and, in upgrade mode, waits for the websocket upgrade.
      async function connect(nsp = "/", auth, { onEvent } = {}) {
        const socket = adapter.connect(server.url, nsp, { transports, auth });
        open.push(socket);
        const events = [];
        if (onEvent) onEvent(socket, events);
        socket.on("auth", (...a) => events.push(["auth", ...a]));
        const upgraded = mode === "upgrade" ? once(socket.io.engine, "upgrade", 20000) : null;
        await once(socket, "connect", 20000);
        if (upgraded) await upgraded;
        assert.equal(socket.io.engine.transport.name, mode === "polling" ? "polling" : "websocket");
        return { socket, events };
      }

      async function roundTrip(socket, ...args) {
        const back = once(socket, "message-back");
        socket.emit("message", ...args);
        return back;
      }

      it("connects and the first event echoes the auth payload", async () => {
        const auth = { token: "abc", n: "42" };
        for (const nsp of ["/", "/custom"]) {
          const first = [];
          const socket = adapter.connect(server.url, nsp, { transports, auth });
          open.push(socket);
          const gotAuth = once(socket, "auth", 15000);
          socket.onAny?.((name) => first.push(name));
          await once(socket, "connect", 15000);
          const [payload] = await gotAuth;
          assert.deepEqual(payload, adapter.expectedAuth(nsp, auth), `namespace ${nsp}`);
          if (socket.onAny) assert.equal(first[0], "auth");
          assert.equal(typeof socket.id, "string");
          assert.ok(socket.id.length > 0);
          socket.disconnect();
        }
      });

      it("events round-trip with all their arguments", async () => {
        const { socket } = await connect();
        const args = [1, "2", { 3: [true], nested: { a: null, s: "h\u00e9llo \u{1F600}" } }, [1.5, -2], false];
        assert.deepEqual(await roundTrip(socket, ...args), args);
        assert.deepEqual(await roundTrip(socket), []);
        socket.disconnect();
      });

      it("acks return the same arguments to the right callback", async () => {
        const { socket } = await connect();
        const pending = [];
        for (let i = 0; i < 40; i++) {
          pending.push(
            withTimeout(new Promise((resolve) => socket.emit("message-with-ack", i, `v${i}`, { i }, (...a) => resolve(a))), 15000, `ack ${i}`),
          );
        }
        const results = await Promise.all(pending);
        results.forEach((a, i) => assert.deepEqual(a, [i, `v${i}`, { i }]));
        socket.disconnect();
      });

      it("binary arguments travel both ways, in events and in acks", async () => {
        const { socket } = await connect();
        const a = Buffer.from([0, 1, 2, 3, 255, 254]);
        const b = Buffer.alloc(5000, 0x5a);
        const back = await roundTrip(socket, "bin", a, { nested: b, list: [a] });
        assert.equal(back[0], "bin");
        assert.ok(toBuffer(back[1]).equals(a));
        assert.ok(toBuffer(back[2].nested).equals(b));
        assert.ok(toBuffer(back[2].list[0]).equals(a));
        const acked = await withTimeout(
          new Promise((resolve) => socket.emit("message-with-ack", a, "x", b, (...r) => resolve(r))), 15000, "binary ack");
        assert.equal(acked.length, 3);
        assert.ok(toBuffer(acked[0]).equals(a));
        assert.equal(acked[1], "x");
        assert.ok(toBuffer(acked[2]).equals(b));
        socket.disconnect();
      });

      it("200 events arrive complete and in order", async () => {
        const { socket } = await connect();
        const got = [];
        const done = withTimeout(new Promise((resolve) => socket.on("message-back", (i) => {
          got.push(i);
          if (got.length === 200) resolve();
        })), 30000, "200 message-back events");
        for (let i = 0; i < 200; i++) socket.emit("message", i);
        await done;
        assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => i));
        socket.disconnect();
      });

      it("a 300 kB text payload and a 300 kB binary payload round-trip intact", async () => {
        const { socket } = await connect();
        const text = bigString();
        assert.ok(Buffer.byteLength(text) > 300000 && Buffer.byteLength(text) < MAX_PAYLOAD / 2);
        const p1 = once(socket, "message-back", 30000);
        socket.emit("message", text);
        const [echoed] = await p1;
        assert.equal(echoed.length, text.length);
        assert.ok(echoed === text, "300 kB string changed in transit");
        const bin = Buffer.alloc(300000);
        for (let i = 0; i < bin.length; i++) bin[i] = (i * 31 + 7) & 0xff;
        const p = once(socket, "message-back", 30000);
        socket.emit("message", bin);
        const [back] = await p;
        assert.ok(toBuffer(back).equals(bin), "300 kB buffer changed in transit");
        socket.disconnect();
      });

      it("two namespaces are multiplexed on one Manager (one Engine.IO session)", async () => {
        const manager = adapter.manager(server.url, { transports });
        const main = adapter.socketOf(manager, "/", { who: "main" });
        const custom = adapter.socketOf(manager, "/custom", { who: "custom" });
        open.push(main, custom);
        const customAuth = once(custom, "auth", 15000);
        await Promise.all([once(main, "connect", 15000), once(custom, "connect", 15000)]);
        assert.deepEqual((await customAuth)[0], adapter.expectedAuth("/custom", { who: "custom" }));
        assert.equal(main.io, custom.io);
        const engineId = manager.engine.id;
        const mainGot = [];
        const customGot = [];
        main.on("message-back", (x) => mainGot.push(x));
        custom.on("message-back", (x) => customGot.push(x));
        custom.emit("message", "to-custom");
        main.emit("message", "to-main");
        await withTimeout((async () => {
          while (mainGot.length < 1 || customGot.length < 1) await sleep(20);
        })(), 15000, "both namespaces answered");
        await sleep(100);
        assert.deepEqual(mainGot, ["to-main"]);
        assert.deepEqual(customGot, ["to-custom"]);
        // Leaving one namespace keeps the other one and the session.
        custom.disconnect();
        await sleep(100);
        const back = once(main, "message-back");
        main.emit("message", "after");
        assert.deepEqual(await back, ["after"]);
        assert.equal(manager.engine.id, engineId);
        assert.ok(main.connected);
        main.disconnect();
      });

      it("an unknown namespace is refused with Invalid namespace", async () => {
        const socket = adapter.connect(server.url, "/random", { transports });
        open.push(socket);
        let connected = false;
        socket.on("connect", () => (connected = true));
        const message = await withTimeout(adapter.connectError(socket), 15000, "connect error");
        assert.equal(message, "Invalid namespace");
        assert.equal(connected, false);
        socket.disconnect();
      });

      it("stays connected across several heartbeats with the same id", async () => {
        const { socket } = await connect();
        const id = socket.id;
        const engineId = socket.io.engine.id;
        let beats = 0;
        socket.io.engine.on(adapter.heartbeatEvent, () => beats++);
        const disconnects = [];
        socket.on("disconnect", (r) => disconnects.push(r));
        await sleep(3 * (PING_INTERVAL + PING_TIMEOUT) + 300);
        assert.deepEqual(disconnects, []);
        assert.ok(socket.connected);
        assert.equal(socket.id, id);
        assert.equal(socket.io.engine.id, engineId);
        assert.ok(beats >= 3, `only ${beats} heartbeats in ${3 * (PING_INTERVAL + PING_TIMEOUT) + 300} ms`);
        assert.deepEqual(await roundTrip(socket, "alive"), ["alive"]);
        socket.disconnect();
      });

      it("a clean disconnect ends the server's session", async () => {
        const { socket } = await connect();
        const sid = socket.io.engine.id;
        const reason = once(socket, "disconnect");
        socket.disconnect();
        assert.equal((await reason)[0], "io client disconnect");
        const until = Date.now() + deadline(10000);
        let res;
        do {
          await sleep(50);
          res = await request(server.port, "GET", `/socket.io/?EIO=${adapter.eio}&transport=polling&sid=${sid}`);
        } while (errorJson(res)?.code !== 1 && Date.now() < until);
        assert.equal(res.status, 400);
        assert.deepEqual(errorJson(res), { code: 1, message: "Session ID unknown" });
      });

      it("a message over maxPayload drops only its own client", async () => {
        const { socket: bystander } = await connect();
        const { socket: offender } = await connect();
        const bystanderId = bystander.id;
        let bystanderGone = null;
        bystander.on("disconnect", (why) => (bystanderGone = why));
        const reason = once(offender, "disconnect", 20000);
        offender.emit("message", "x".repeat(MAX_PAYLOAD + 100000));
        const [why] = await reason;
        assert.match(why, /^transport (close|error)$/);
        await sleep(300);
        assert.ok(bystander.connected, `the bystander was disconnected too: ${bystanderGone}`);
        assert.equal(bystander.id, bystanderId);
        assert.deepEqual(await roundTrip(bystander, "still here"), ["still here"]);
        bystander.disconnect();
      });
    });
  }
}
