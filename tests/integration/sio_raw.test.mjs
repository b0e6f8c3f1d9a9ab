// Socket.IO v5 (over Engine.IO v4) and v4 (over Engine.IO v3) at the wire,
// byte for byte, against /socket.io/ of the conformance server: connect
// replies, auth echo, Invalid namespace, events, acks, binary attachments,
// disconnect, connect timeout, invalid packets. Modelled on socket.io's
// socket.io-protocol test suite.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, sleep, CONNECT_TIMEOUT } from "./lib/server.mjs";
import { request, decodeV3Payload, WsClient } from "./lib/raw.mjs";

const P = "/socket.io/";
let server;

before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

const open = [];
after(() => open.splice(0).forEach((c) => c.close()));

// An Engine.IO websocket session on /socket.io/ with server pings answered.
async function engine(eio = 4) {
  const c = new WsClient(`${server.wsUrl}${P}?EIO=${eio}&transport=websocket`, {}, { autoPong: true });
  open.push(c);
  const handshake = await c.next();
  assert.ok(handshake.startsWith("0{"), handshake);
  return c;
}

function expectSidReply(data, prefix) {
  assert.ok(data.startsWith(prefix), `expected ${prefix}{"sid":...}, got ${JSON.stringify(data)}`);
  const body = JSON.parse(data.slice(prefix.length));
  assert.deepEqual(Object.keys(body), ["sid"]);
  assert.match(body.sid, /^[A-Za-z0-9_-]+$/);
  return body.sid;
}

async function connected(nsp = "") {
  const c = await engine();
  c.send(nsp ? `40${nsp},` : "40");
  expectSidReply(await c.next(), nsp ? `40${nsp},` : "40");
  assert.equal(await c.next(), nsp ? `42${nsp},["auth",{}]` : '42["auth",{}]');
  return c;
}

describe("Socket.IO v5 connect", () => {
  it("main namespace: CONNECT answered with exactly {sid}, then the auth event", async () => {
    const c = await engine();
    c.send("40");
    expectSidReply(await c.next(), "40");
    assert.equal(await c.next(), '42["auth",{}]');
  });

  it("main namespace with an auth payload", async () => {
    const c = await engine();
    c.send('40{"token":"123","n":[1,{"x":null}]}');
    expectSidReply(await c.next(), "40");
    assert.equal(await c.next(), '42["auth",{"token":"123","n":[1,{"x":null}]}]');
  });

  it("custom namespace, with and without auth", async () => {
    const c = await engine();
    c.send("40/custom,");
    const sid1 = expectSidReply(await c.next(), "40/custom,");
    assert.equal(await c.next(), '42/custom,["auth",{}]');
    const d = await engine();
    d.send('40/custom,{"token":"abc"}');
    const sid2 = expectSidReply(await d.next(), "40/custom,");
    assert.equal(await d.next(), '42/custom,["auth",{"token":"abc"}]');
    assert.notEqual(sid1, sid2);
  });

  it("main and custom namespaces on one session get distinct sids", async () => {
    const c = await engine();
    c.send("40");
    const a = expectSidReply(await c.next(), "40");
    assert.equal(await c.next(), '42["auth",{}]');
    c.send("40/custom,");
    const b = expectSidReply(await c.next(), "40/custom,");
    assert.equal(await c.next(), '42/custom,["auth",{}]');
    assert.notEqual(a, b);
  });

  it("an unknown namespace gets CONNECT_ERROR Invalid namespace", async () => {
    const c = await engine();
    c.send("40/random,");
    assert.equal(await c.next(), '44/random,{"message":"Invalid namespace"}');
    // The session stays usable for a valid namespace.
    c.send("40");
    expectSidReply(await c.next(), "40");
  });

  it("a session that joins no namespace is closed after the connect timeout", async () => {
    const c = await engine();
    const t0 = Date.now();
    const { at } = await c.waitClose(CONNECT_TIMEOUT + 1500);
    assert.ok(at - t0 >= CONNECT_TIMEOUT - 150, `closed after ${at - t0} ms`);
  });

  it("a joined session outlives the connect timeout", async () => {
    const c = await connected();
    await sleep(CONNECT_TIMEOUT + 300);
    assert.ok(c.isOpen());
    c.send('42["message","late"]');
    assert.equal(await c.next(), '42["message-back","late"]');
  });

  it("an invalid handshake packet closes the connection", async () => {
    const c = await engine();
    c.send("4abc");
    await c.waitClose();
  });
});

describe("Socket.IO v5 messages", () => {
  it("EVENT is echoed with byte-exact arguments", async () => {
    const c = await connected();
    c.send('42["message",1,"2",{"3":[true]},"h\u00e9llo \u{1F600}",-0.5,null]');
    assert.equal(await c.next(), '42["message-back",1,"2",{"3":[true]},"h\u00e9llo \u{1F600}",-0.5,null]');
    c.send('42["message"]');
    assert.equal(await c.next(), '42["message-back"]');
  });

  it("EVENT in a custom namespace", async () => {
    const c = await connected("/custom");
    c.send('42/custom,["message",{"a":1}]');
    assert.equal(await c.next(), '42/custom,["message-back",{"a":1}]');
  });

  it("ACK answers with the client's id", async () => {
    const c = await connected();
    c.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal(await c.next(), '43456[1,"2",{"3":[false]}]');
    c.send('420["message-with-ack"]');
    assert.equal(await c.next(), "430[]");
    c.send('4218446744073709["message-with-ack","big id"]');
    assert.equal(await c.next(), '4318446744073709["big id"]');
  });

  it("BINARY_EVENT with two attachments is echoed", async () => {
    const c = await connected();
    c.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    c.send(Buffer.from([1, 2, 3]));
    c.send(Buffer.from([4, 5, 6]));
    assert.equal(await c.next(), '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.equal((await c.next()).toString("hex"), "010203");
    assert.equal((await c.next()).toString("hex"), "040506");
  });

  it("BINARY_EVENT with an ack id gets a BINARY_ACK", async () => {
    const c = await connected();
    c.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    c.send(Buffer.from([1, 2, 3]));
    c.send(Buffer.from([4, 5, 6]));
    assert.equal(await c.next(), '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.equal((await c.next()).toString("hex"), "010203");
    assert.equal((await c.next()).toString("hex"), "040506");
  });

  for (const [what, packet] of [
    ["unknown packet type", "4abc"],
    ["invalid payload format", "42{}"],
    ["invalid ack id", '42abc["message-with-ack",1,"2",{"3":[false]}]'],
    ["packet for a namespace not joined", '42/custom,7["message-with-ack",1]'],
  ]) {
    it(`an invalid packet closes the connection (${what})`, async () => {
      const c = await connected();
      c.send(packet);
      await c.waitClose();
    });
  }

  it("an invalid packet closes only that connection", async () => {
    const bad = await connected();
    const good = await connected();
    bad.send("42{}");
    await bad.waitClose();
    good.send('42["message","ok"]');
    assert.equal(await good.next(), '42["message-back","ok"]');
  });

  it("DISCONNECT from a custom namespace keeps the main one", async () => {
    const c = await connected();
    c.send("40/custom,");
    expectSidReply(await c.next(), "40/custom,");
    assert.equal(await c.next(), '42/custom,["auth",{}]');
    c.send("41/custom,");
    c.send('42["message","main"]');
    assert.equal(await c.next(), '42["message-back","main"]');
    await sleep(100);
    assert.deepEqual(c.queue, []);
    assert.ok(c.isOpen());
  });

  it("after DISCONNECT a namespace can be joined again, with a new sid", async () => {
    const c = await engine();
    c.send("40/custom,");
    const first = expectSidReply(await c.next(), "40/custom,");
    assert.equal(await c.next(), '42/custom,["auth",{}]');
    c.send("41/custom,");
    await sleep(100);
    c.send('40/custom,{"again":true}');
    const second = expectSidReply(await c.next(), "40/custom,");
    assert.equal(await c.next(), '42/custom,["auth",{"again":true}]');
    assert.notEqual(first, second);
    c.send('42/custom,["message",2]');
    assert.equal(await c.next(), '42/custom,["message-back",2]');
  });

  it("over polling: CONNECT, auth and an event share the payload format", async () => {
    const res = await request(server.port, "GET", `${P}?EIO=4&transport=polling`);
    const sid = JSON.parse(res.text.slice(1)).sid;
    const q = `${P}?EIO=4&transport=polling&sid=${sid}`;
    assert.equal((await request(server.port, "POST", q, { body: '40{"t":1}' })).text, "ok");
    const got = (await request(server.port, "GET", q)).text.split("\x1e");
    expectSidReply(got[0], "40");
    const rest = got.slice(1);
    if (rest.length === 0) rest.push(...(await request(server.port, "GET", q)).text.split("\x1e"));
    assert.deepEqual(rest, ['42["auth",{"t":1}]']);
    const body = '451-["message",{"_placeholder":true,"num":0}]\x1ebAQID';
    assert.equal((await request(server.port, "POST", q, { body })).text, "ok");
    assert.equal((await request(server.port, "GET", q)).text, '451-["message-back",{"_placeholder":true,"num":0}]\x1ebAQID');
  });
});

describe("Socket.IO v4 (EIO=3) connect", () => {
  it("the main namespace is joined implicitly: 40 then the auth event", async () => {
    const c = await engine(3);
    assert.equal(await c.next(), "40");
    assert.equal(await c.next(), '42["auth",{}]');
    c.send('42["message","v4"]');
    assert.equal(await c.next(), '42["message-back","v4"]');
  });

  it("a namespace CONNECT is answered without sid; its query is the auth", async () => {
    const c = await engine(3);
    assert.equal(await c.next(), "40");
    assert.equal(await c.next(), '42["auth",{}]');
    c.send("40/custom?token=abc&n=1,");
    assert.equal(await c.next(), "40/custom,");
    assert.equal(await c.next(), '42/custom,["auth",{"token":"abc","n":"1"}]');
    c.send('42/custom,1["message-with-ack","x"]');
    assert.equal(await c.next(), '43/custom,1["x"]');
  });

  it("an unknown namespace is refused with Invalid namespace", async () => {
    const c = await engine(3);
    assert.equal(await c.next(), "40");
    await c.next();
    c.send("40/random,");
    assert.equal(await c.next(), '44/random,{"message":"Invalid namespace"}');
  });

  it("binary attachments travel as binary frames with the type byte", async () => {
    const c = await engine(3);
    assert.equal(await c.next(), "40");
    await c.next();
    c.send('451-["message",{"_placeholder":true,"num":0}]');
    c.send(Buffer.from([4, 9, 8, 7]));
    assert.equal(await c.next(), '451-["message-back",{"_placeholder":true,"num":0}]');
    assert.equal((await c.next()).toString("hex"), "04090807");
  });

  it("over polling: the implicit connect arrives length-prefixed", async () => {
    const res = await request(server.port, "GET", `${P}?EIO=3&transport=polling`);
    const packets = decodeV3Payload(res.text);
    const sid = JSON.parse(packets[0].slice(1)).sid;
    const got = packets.slice(1);
    const q = `${P}?EIO=3&transport=polling&sid=${sid}`;
    while (got.length < 2) got.push(...decodeV3Payload((await request(server.port, "GET", q)).text));
    assert.deepEqual(got, ["40", '42["auth",{}]']);
  });
});
