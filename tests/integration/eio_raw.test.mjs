// Engine.IO v4 and v3 at the wire: raw HTTP (node:http, byte-exact bodies) and
// raw WebSocket (ws) against the conformance server's echo endpoint
// /engine.io/ — handshake, every error code, polling rules, upgrade,
// heartbeats. Modelled on socket.io's engine.io-protocol test suite.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer, sleep, SBCMON_ONLY, IS_REFERENCE, PING_INTERVAL, PING_TIMEOUT, MAX_PAYLOAD,
} from "./lib/server.mjs";
import { request, decodeV3Payload, encodeV3Payload, errorJson, WsClient, refusedUpgrade, trace } from "./lib/raw.mjs";
import { deadline } from "../lib/deadline.mjs";

const P = "/engine.io/";
let server;
let port;

before(async () => {
  server = await startServer();
  port = server.port;
});
after(async () => {
  await server.stop();
});

const get = (q, opts) => request(port, "GET", `${P}?${q}`, opts);
const post = (q, body, opts) => request(port, "POST", `${P}?${q}`, { ...opts, body });
const ws = (q) => new WsClient(`${server.wsUrl}${P}?${q}`);

function parseOpen(text) {
  assert.ok(text.startsWith("0"), `open packet expected, got ${JSON.stringify(text)}`);
  return JSON.parse(text.slice(1));
}

function checkOpen(open, upgrades) {
  assert.deepEqual(Object.keys(open).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
  assert.match(open.sid, /^[A-Za-z0-9_-]{20}$/);
  assert.deepEqual(open.upgrades, upgrades);
  assert.equal(open.pingInterval, PING_INTERVAL);
  assert.equal(open.pingTimeout, PING_TIMEOUT);
  assert.equal(open.maxPayload, MAX_PAYLOAD);
}

async function openV4() {
  const res = await get("EIO=4&transport=polling");
  assert.equal(res.status, 200, res.text);
  return parseOpen(res.text).sid;
}

async function openV3(extra = "") {
  const res = await get(`EIO=3&transport=polling${extra}`);
  assert.equal(res.status, 200, res.text);
  const packets = decodeV3Payload(res.text);
  assert.equal(packets.length, 1, res.text);
  return parseOpen(packets[0]).sid;
}

async function expectError(res, status, code, message) {
  assert.equal(res.status, status, `HTTP status; body ${JSON.stringify(res.text)}`);
  assert.match(String(res.headers["content-type"]), /^application\/json/);
  assert.deepEqual(errorJson(res), { code, message });
}

// Polls until the session is reported unknown (code 1), within `ms`.
async function expectSessionGone(q, ms = 1500) {
  const deadline = Date.now() + ms;
  let res;
  do {
    res = await get(q);
    if (res.status === 400) break;
    await sleep(50);
  } while (Date.now() < deadline);
  assert.equal(res.status, 400, `session still alive: ${res.status} ${JSON.stringify(res.text)}`);
  assert.equal(errorJson(res)?.code, 1, res.text);
}

describe("handshake", () => {
  it("v4 polling: open packet has exactly sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
    const res = await get("EIO=4&transport=polling");
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-type"]), /^text\/plain/);
    const open = parseOpen(res.text);
    checkOpen(open, ["websocket"]);
    assert.equal(res.text, `0${JSON.stringify(open)}`.replace(/\s/g, ""));
  });

  it("v3 polling: open packet is length-prefixed", async () => {
    const res = await get("EIO=3&transport=polling");
    assert.equal(res.status, 200);
    const colon = res.text.indexOf(":");
    const body = res.text.slice(colon + 1);
    assert.equal(res.text.slice(0, colon), String(body.length));
    checkOpen(parseOpen(body), ["websocket"]);
  });

  it("v4 websocket: open packet offers no upgrades", async () => {
    const c = ws("EIO=4&transport=websocket");
    try {
      checkOpen(parseOpen(await c.next()), []);
    } finally {
      c.close();
    }
  });

  it("v3 websocket: open packet offers no upgrades", async () => {
    const c = ws("EIO=3&transport=websocket");
    try {
      checkOpen(parseOpen(await c.next()), []);
    } finally {
      c.close();
    }
  });

  it("sids are 20 URL-safe characters, distinct and not sequential", async () => {
    const sids = [];
    for (let i = 0; i < 6; i++) sids.push(await openV4());
    assert.equal(new Set(sids).size, sids.length);
    for (let i = 1; i < sids.length; i++) {
      let differing = 0;
      for (let k = 0; k < 20; k++) if (sids[i][k] !== sids[i - 1][k]) differing++;
      assert.ok(differing >= 8, `sids ${sids[i - 1]} and ${sids[i]} differ in only ${differing} places`);
    }
  });
});

describe("errors", () => {
  it("code 0 Transport unknown: missing or unknown transport", async () => {
    await expectError(await get("EIO=4"), 400, 0, "Transport unknown");
    await expectError(await get("EIO=4&transport=abc"), 400, 0, "Transport unknown");
    await expectError(await get("EIO=3&transport=flashsocket"), 400, 0, "Transport unknown");
  });

  it("code 1 Session ID unknown", async () => {
    await expectError(await get("EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA"), 400, 1, "Session ID unknown");
    await expectError(await post("EIO=4&transport=polling&sid=nope", "4hello"), 400, 1, "Session ID unknown");
    await expectError(await get("EIO=3&transport=polling&sid=nope"), 400, 1, "Session ID unknown");
  });

  it("code 2 Bad handshake method: POST or PUT without sid", async () => {
    await expectError(await post("EIO=4&transport=polling", "4hello"), 400, 2, "Bad handshake method");
    await expectError(await request(port, "PUT", `${P}?EIO=4&transport=polling`), 400, 2, "Bad handshake method");
    await expectError(await post("EIO=3&transport=polling", "6:4hello"), 400, 2, "Bad handshake method");
  });

  it("code 3 Bad request: websocket transport without an upgrade", async () => {
    await expectError(await get("EIO=4&transport=websocket"), 400, 3, "Bad request");
    const sid = await openV4();
    await expectError(await get(`EIO=4&transport=websocket&sid=${sid}`), 400, 3, "Bad request");
  });

  it("code 5 Unsupported protocol version: EIO missing, garbage, or not exactly 3 or 4", { skip: SBCMON_ONLY }, async () => {
    for (const q of ["transport=polling", "EIO=abc&transport=polling", "EIO=5&transport=polling",
      "EIO=2&transport=polling", "EIO=&transport=polling", "EIO=04&transport=polling", "EIO=4x&transport=polling"]) {
      await expectError(await get(q), 400, 5, "Unsupported protocol version");
    }
  });

  it("a refused websocket upgrade is answered with an HTTP 400 response", async () => {
    for (const [q, message] of [
      ["EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA", "Session ID unknown"],
      ["EIO=4&transport=abc", "Transport unknown"],
      ["EIO=3&transport=websocket&sid=nope", "Session ID unknown"],
    ]) {
      const r = await refusedUpgrade(`${server.wsUrl}${P}?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.error ?? ""}`);
      assert.ok(r.body.includes(message), `${q}: body ${JSON.stringify(r.body)}`);
    }
  });

  it("a refused websocket upgrade carries the JSON error body", { skip: SBCMON_ONLY }, async () => {
    const r = await refusedUpgrade(`${server.wsUrl}${P}?EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA`);
    assert.equal(r.status, 400);
    assert.deepEqual(JSON.parse(r.body), { code: 1, message: "Session ID unknown" });
    const r2 = await refusedUpgrade(`${server.wsUrl}${P}?EIO=7&transport=websocket`);
    assert.equal(r2.status, 400);
    assert.deepEqual(JSON.parse(r2.body), { code: 5, message: "Unsupported protocol version" });
  });
});

describe("polling v4", () => {
  it("echoes one text packet", async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    const p = await post(q, "4hello");
    assert.equal(p.status, 200);
    assert.equal(p.text, "ok");
    assert.equal((await get(q)).text, "4hello");
  });

  it("echoes a \\x1e-separated payload with text, UTF-8 and base64 binary", async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    const body = "4test1\x1e4h\u00e9llo \u{1F600}\x1ebAQIDBA==\x1e4test3";
    assert.equal((await post(q, body)).text, "ok");
    const res = await get(q);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString("hex"), Buffer.from(body).toString("hex"));
  });

  it("holds a GET until there is something to send", async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    const t0 = Date.now();
    const pending = get(q);
    await sleep(100);
    assert.equal((await post(q, "4late")).text, "ok");
    const res = await pending;
    assert.equal(res.text, "4late");
    assert.ok(Date.now() - t0 >= 90);
  });

  it("a second concurrent GET closes the session; the first one is ended", async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    const first = get(q);
    await sleep(50);
    const second = await get(q);
    assert.equal(second.status, 400);
    const firstRes = await first;
    assert.equal(firstRes.status, 200);
    assert.equal(firstRes.text, "1");
    await expectSessionGone(q);
  });

  it("an undecodable POST closes the session", async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    await post(q, "abc").catch(() => {});
    await expectSessionGone(q);
  });

  it("an undecodable POST is answered 400", { skip: SBCMON_ONLY }, async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    const r = await post(q, "4ok\x1ezzz");
    assert.equal(r.status, 400, r.text);
  });

  it("a POST over maxPayload is answered 413", async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    const r = await post(q, "4" + "x".repeat(MAX_PAYLOAD), { timeout: 5000 });
    assert.equal(r.status, 413);
  });

  it("a POST just under maxPayload is echoed whole", async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    const body = "4" + "y".repeat(MAX_PAYLOAD - 1000);
    assert.equal((await post(q, body, { timeout: 5000 })).status, 200);
    const res = await get(q, { timeout: 5000 });
    assert.equal(res.text.length, body.length);
    assert.ok(res.text === body);
  });

  it("server pings over polling and the session survives with pongs", async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      const res = await get(q, { timeout: 2000 });
      assert.equal(res.text, "2", `poll ${i}`);
      assert.equal((await post(q, "3")).text, "ok");
    }
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 3 * PING_INTERVAL && elapsed < 4 * PING_INTERVAL + deadline(800), `4 pings took ${elapsed} ms`);
    assert.equal((await post(q, "4still")).text, "ok");
    assert.equal((await get(q)).text, "4still");
  });

  it("no pong within pingTimeout closes the session", async () => {
    const sid = await openV4();
    await sleep(PING_INTERVAL + PING_TIMEOUT + 300);
    await expectSessionGone(`EIO=4&transport=polling&sid=${sid}`);
  });

  it("a close packet ends the pending GET and the session", async () => {
    const sid = await openV4();
    const q = `EIO=4&transport=polling&sid=${sid}`;
    const pending = get(q);
    await sleep(50);
    await post(q, "1");
    const res = await pending;
    assert.equal(res.status, 200);
    assert.ok(res.text === "6" || res.text === "1", `pending GET got ${JSON.stringify(res.text)}`);
    await expectSessionGone(q);
  });
});

describe("polling v3", () => {
  it("echoes length-prefixed text packets", async () => {
    const sid = await openV3();
    const q = `EIO=3&transport=polling&sid=${sid}`;
    const body = "6:4test16:4test26:4test3";
    assert.equal((await post(q, body)).text, "ok");
    assert.equal((await get(q)).text, body);
  });

  it("length prefixes count UTF-16 code units (an emoji counts 2)", async () => {
    const sid = await openV3();
    const q = `EIO=3&transport=polling&sid=${sid}`;
    // "4😀" is 3 UTF-16 units (5 UTF-8 bytes); "4héllo😀" is 8 units (11 bytes).
    const body = "3:4\u{1F600}8:4h\u00e9llo\u{1F600}";
    assert.equal((await post(q, body)).text, "ok");
    const res = await get(q);
    assert.equal(res.body.toString("hex"), Buffer.from(body).toString("hex"));
    assert.deepEqual(decodeV3Payload(res.text), ["4\u{1F600}", "4h\u00e9llo\u{1F600}"]);
  });

  it("b64=1: binary comes back as b4<base64>, remembered for the session", async () => {
    const sid = await openV3("&b64=1");
    // Later requests omit b64: the session keeps the choice made at handshake.
    const q = `EIO=3&transport=polling&sid=${sid}`;
    const body = "6:4hello10:b4AQIDBA==";
    assert.equal((await post(q, body)).text, "ok");
    const res = await get(q);
    assert.match(String(res.headers["content-type"]), /^text\/plain/);
    assert.equal(res.text, body);
  });

  it("client ping is answered with pong", async () => {
    const sid = await openV3();
    const q = `EIO=3&transport=polling&sid=${sid}`;
    for (let i = 0; i < 3; i++) {
      assert.equal((await post(q, "1:2")).text, "ok");
      assert.equal((await get(q)).text, "1:3");
    }
  });

  it("a session the client does not ping is closed after pingInterval + pingTimeout", async () => {
    const sid = await openV3();
    await sleep(PING_INTERVAL + PING_TIMEOUT + 300);
    await expectSessionGone(`EIO=3&transport=polling&sid=${sid}`);
  });

  it("a second concurrent GET closes the session", async () => {
    const sid = await openV3();
    const q = `EIO=3&transport=polling&sid=${sid}`;
    const first = get(q);
    await sleep(50);
    assert.equal((await get(q)).status, 400);
    assert.equal((await first).status, 200);
    await expectSessionGone(q);
  });

  it("an undecodable POST closes the session", async () => {
    const sid = await openV3();
    const q = `EIO=3&transport=polling&sid=${sid}`;
    await post(q, "abc").catch(() => {});
    await expectSessionGone(q);
  });
});

describe("websocket", () => {
  for (const eio of [4, 3]) {
    it(`v${eio}: echoes text frames byte for byte`, async () => {
      const c = ws(`EIO=${eio}&transport=websocket`);
      try {
        await c.next();
        for (const m of ["4hello", "4h\u00e9llo \u{1F600}", "4", "4" + "z".repeat(70000)]) {
          c.send(m);
          assert.ok((await c.nextNonPing()) === m);
        }
      } finally {
        c.close();
      }
    });

    it(`v${eio}: an invalid packet closes the connection`, async () => {
      const c = ws(`EIO=${eio}&transport=websocket`);
      await c.next();
      c.send("abc");
      await c.waitClose();
    });

    it(`v${eio}: a close packet closes the connection`, async () => {
      const c = ws(`EIO=${eio}&transport=websocket`);
      await c.next();
      c.send("1");
      await c.waitClose();
    });
  }

  it("v4: binary frames are echoed as binary", async () => {
    const c = ws("EIO=4&transport=websocket");
    try {
      await c.next();
      c.send(Buffer.from([1, 2, 3, 4]));
      const m = await c.nextNonPing();
      assert.ok(Buffer.isBuffer(m), `expected binary, got ${JSON.stringify(m)}`);
      assert.equal(m.toString("hex"), "01020304");
      const big = Buffer.alloc(100000, 0xa5);
      c.send(big);
      assert.ok(big.equals(await c.nextNonPing()));
    } finally {
      c.close();
    }
  });

  it("v3: binary frames carry the packet type byte", async () => {
    const c = ws("EIO=3&transport=websocket");
    try {
      await c.next();
      c.send(Buffer.from([4, 1, 2, 3, 4]));
      const m = await c.next();
      assert.ok(Buffer.isBuffer(m), `expected binary, got ${JSON.stringify(m)}`);
      assert.equal(m.toString("hex"), "0401020304");
    } finally {
      c.close();
    }
  });

  it("v4: server pings every pingInterval, also while data flows", async () => {
    const c = ws("EIO=4&transport=websocket");
    try {
      const t0 = await c.opened;
      await c.next();
      const pings = [];
      let echoes = 0;
      const sender = setInterval(() => c.send("4tick"), 40);
      try {
        while (pings.length < 4) {
          const m = await c.next(1500);
          if (m === "2") {
            pings.push(Date.now() - t0);
            c.send("3");
          } else {
            assert.equal(m, "4tick");
            echoes++;
          }
        }
      } finally {
        clearInterval(sender);
      }
      assert.ok(echoes >= 10, `only ${echoes} echoes`);
      for (let i = 1; i < pings.length; i++) {
        const gap = pings[i] - pings[i - 1];
        assert.ok(gap >= PING_INTERVAL - 60 && gap <= PING_INTERVAL + deadline(250), `ping gaps ${JSON.stringify(pings)}`);
      }
      assert.ok(c.isOpen());
    } finally {
      c.close();
    }
  });

  it("v4: no pong within pingTimeout closes the connection", async () => {
    const c = ws("EIO=4&transport=websocket");
    const t0 = await c.opened;
    await c.next();
    const ping = await c.next(1000);
    assert.equal(ping, "2");
    const { at } = await c.waitClose(PING_INTERVAL + PING_TIMEOUT + 1000);
    const elapsed = at - t0;
    assert.ok(elapsed >= PING_INTERVAL + PING_TIMEOUT - 60, `closed after ${elapsed} ms`);
  });

  it("v3: client pings are answered; without them the connection closes", async () => {
    const c = ws("EIO=3&transport=websocket");
    try {
      await c.next();
      for (let i = 0; i < 4; i++) {
        c.send("2");
        assert.equal(await c.next(), "3");
        await sleep(PING_INTERVAL - 50);
      }
      assert.ok(c.isOpen(), "closed although the client pinged");
      const stopped = Date.now();
      const { at } = await c.waitClose(PING_INTERVAL + PING_TIMEOUT + 1000);
      assert.ok(at - stopped >= PING_TIMEOUT - 50, `closed ${at - stopped} ms after the last ping`);
    } finally {
      c.close();
    }
  });
});

describe("upgrade", () => {
  for (const eio of [4, 3]) {
    const pollText = (t) => (eio === 4 ? t : decodeV3Payload(t).join("|"));
    const enc = (p) => (eio === 4 ? p : encodeV3Payload([p]));

    it(`v${eio}: 2probe/3probe, pending GET gets noop, then traffic moves to websocket`, async () => {
      const sid = eio === 4 ? await openV4() : await openV3();
      const q = `EIO=${eio}&transport=polling&sid=${sid}`;
      const pending = get(q);
      await sleep(30);
      const c = ws(`EIO=${eio}&transport=websocket&sid=${sid}`);
      try {
        await c.opened;
        c.send("2probe");
        assert.equal(await c.next(), "3probe");
        const res = await pending;
        assert.equal(res.status, 200);
        assert.equal(pollText(res.text), "6");
        c.send("5");
        c.send("4hello");
        assert.equal(await c.nextNonPing(), "4hello");
      } finally {
        c.close();
      }
    });

    it(`v${eio}: polls during the upgrade are answered with noop until 5`, async () => {
      const sid = eio === 4 ? await openV4() : await openV3();
      const q = `EIO=${eio}&transport=polling&sid=${sid}`;
      const c = ws(`EIO=${eio}&transport=websocket&sid=${sid}`);
      try {
        await c.opened;
        c.send("2probe");
        assert.equal(await c.next(), "3probe");
        const t0 = Date.now();
        for (let i = 0; i < 2; i++) {
          const res = await get(q, { timeout: 1500 });
          assert.equal(res.status, 200);
          assert.equal(pollText(res.text), "6");
        }
        assert.ok(Date.now() - t0 < 1000, "noop answers were slow");
        // Messages posted before the upgrade completes are not lost.
        assert.equal((await post(q, enc("4before"))).text, "ok");
        c.send("5");
        c.send("4after");
        const got = [await c.nextNonPing(), await c.nextNonPing()];
        assert.deepEqual(got, ["4before", "4after"]);
      } finally {
        c.close();
      }
    });

    it(`v${eio}: after upgrade, polling with that sid gets 400 and a second websocket is closed`, async () => {
      const sid = eio === 4 ? await openV4() : await openV3();
      const q = `EIO=${eio}&transport=polling&sid=${sid}`;
      const c = ws(`EIO=${eio}&transport=websocket&sid=${sid}`);
      try {
        await c.opened;
        c.send("2probe");
        assert.equal(await c.next(), "3probe");
        c.send("5");
        await sleep(100);
        const r = await get(q);
        assert.equal(r.status, 400);
        assert.equal(typeof errorJson(r)?.code, "number", r.text);
        const r2 = await post(q, enc("4x"));
        assert.equal(r2.status, 400);
        const c2 = ws(`EIO=${eio}&transport=websocket&sid=${sid}`);
        c2.ws.on("unexpected-response", () => {});
        await c2.waitClose();
        c.send("4hello");
        assert.equal(await c.nextNonPing(), "4hello");
        assert.ok(c.isOpen());
      } finally {
        c.close();
      }
    });
  }
});
