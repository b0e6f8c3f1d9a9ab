// TLS as someone on the LAN meets it: `--tls` with no certificate makes a
// self-signed one in --state-dir (key readable by the owner only) and keeps it
// across restarts; the page, the data and socket.io over wss all come over
// HTTPS; --redirect-http sends plain HTTP to https; --tls-cert/--tls-key serve
// a certificate made by `openssl req`.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { io } from "socket.io-client";
import {
  HOST, Recorder, TOKEN, certFingerprint, freePort, request, skipReason, startSbcmon, tempDir,
  tokenFile, withTimeout,
} from "../security/lib.mjs";
import { deadline } from "../lib/deadline.mjs";

const skip = skipReason();

describe("--tls with a self-signed certificate in --state-dir", { skip }, () => {
  let tmp, state, sbc;
  before(async () => {
    tmp = tempDir("tls");
    state = path.join(tmp.dir, "state");
    sbc = await startSbcmon({ tls: true, args: ["--tls", "--state-dir", state] });
  });
  after(async () => {
    await sbc?.stop();
    tmp?.remove();
  });

  it("serves the page over HTTPS, and plain HTTP on that port gets no page", async () => {
    const r = await request(`${sbc.url}/`);
    assert.equal(r.status, 200);
    assert.match(r.text, /<title>sbcmon<\/title>/);
    // Without --redirect-http a cleartext request must not be answered with the page.
    const plain = await request(`http://${HOST}:${sbc.port}/`).catch((e) => ({ error: e.code ?? e.message }));
    assert.ok(plain.error || plain.status !== 200, `plain HTTP got the page: ${JSON.stringify(plain.status)}`);
  });

  it("keeps the private key owner-only (mode 0600) beside the certificate", () => {
    const files = fs.readdirSync(state);
    const keys = files.filter((f) => /key/i.test(f));
    assert.equal(keys.length, 1, `one key file in the state dir: ${files}`);
    const mode = fs.statSync(path.join(state, keys[0])).mode & 0o777;
    assert.equal(mode.toString(8), "600", `key file mode is 0${mode.toString(8)}`);
    assert.ok(fs.readFileSync(path.join(state, keys[0]), "utf8").includes("PRIVATE KEY"), "the key file is a PEM key");
  });

  it("makes a certificate valid from a day ago (skewed clocks) for ten years", () => {
    const crt = fs.readdirSync(state).find((f) => f.endsWith(".crt"));
    assert.ok(crt, `a certificate in the state dir: ${fs.readdirSync(state)}`);
    const x = new X509Certificate(fs.readFileSync(path.join(state, crt)));
    const from = Date.parse(x.validFrom);
    const to = Date.parse(x.validTo);
    const day = 86400e3;
    // Made when the server started, a moment ago: not before is about now - 1 day.
    assert.ok(Math.abs(Date.now() - day - from) < day / 2, `validFrom ${x.validFrom}`);
    const tenYears = new Date(from);
    tenYears.setUTCFullYear(tenYears.getUTCFullYear() + 10);
    assert.equal(to, tenYears.getTime(), `validTo ${x.validTo} is validFrom ${x.validFrom} + 10 years`);
  });

  it("reuses the same certificate after a restart", async () => {
    const before = await certFingerprint(sbc.port);
    const port = sbc.port;
    const e = await sbc.stop();
    assert.equal(e.code, 0, `clean exit: ${JSON.stringify(e)}`);
    sbc = await startSbcmon({ tls: true, port, args: ["--tls", "--state-dir", state] });
    const after = await certFingerprint(sbc.port);
    assert.ok(before, "a certificate was presented");
    assert.equal(after, before, "the restarted server presents the same certificate");
  });

  it("socket.io-client 4 over wss receives board, history and live samples", async () => {
    for (const transports of [["websocket"], ["polling", "websocket"]]) {
      const sock = io(sbc.url, { transports, rejectUnauthorized: false, forceNew: true, reconnection: false, timeout: deadline(5000) });
      const rec = new Recorder(sock);
      try {
        await rec.until((r) => r.named("sample").length >= 2, 8000, `two samples over ${transports}`);
        assert.ok(rec.named("board").length === 1 && rec.named("history").length === 1, `board and history over ${transports}`);
        if (transports.length === 1) assert.equal(sock.io.engine.transport.name, "websocket");
      } finally {
        sock.close();
      }
    }
  });
});

describe("--tls --redirect-http", { skip }, () => {
  let tmp, sbc;
  before(async () => {
    tmp = tempDir("redir");
    sbc = await startSbcmon({ tls: true, args: ["--tls", "--state-dir", tmp.dir, "--redirect-http"] });
  });
  after(async () => {
    await sbc?.stop();
    tmp?.remove();
  });

  it("answers plain HTTP with a 301 to the https URL, and still serves HTTPS", async () => {
    const r = await request(`http://${HOST}:${sbc.port}/`);
    assert.equal(r.status, 301);
    assert.match(r.headers.location ?? "", new RegExp(`^https://${HOST.replace(/\./g, "\\.")}:${sbc.port}/`));
    const s = await request(`${sbc.url}/`);
    assert.equal(s.status, 200);
  });

  it("does not leak data over plain HTTP: the socket.io handshake is redirected too", async () => {
    const r = await request(`http://${HOST}:${sbc.port}/socket.io/?EIO=4&transport=polling`);
    assert.equal(r.status, 301);
    assert.doesNotMatch(r.text, /"sid"/);
  });
});

describe("--tls-cert/--tls-key with a certificate made by openssl req", { skip }, () => {
  let tmp, sbc, cert, key, expected;
  before(async () => {
    tmp = tempDir("own-cert");
    cert = path.join(tmp.dir, "cert.pem");
    key = path.join(tmp.dir, "key.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=sbcmon-test-own-cert"], { stdio: "ignore" });
    expected = execFileSync("openssl", ["x509", "-in", cert, "-noout", "-fingerprint", "-sha256"], { encoding: "utf8" })
      .trim().split("=")[1];
    // A token too: TLS and the token together are what a careful user runs.
    sbc = await startSbcmon({ tls: true, args: ["--tls-cert", cert, "--tls-key", key, "--token-file", tokenFile(tmp.dir),
      "--state-dir", path.join(tmp.dir, "unused-state")] });
  });
  after(async () => {
    await sbc?.stop();
    tmp?.remove();
  });

  it("presents exactly that certificate", async () => {
    assert.equal(await certFingerprint(sbc.port), expected);
    assert.equal(fs.existsSync(path.join(tmp.dir, "unused-state")), false, "no self-signed certificate was made");
  });

  it("serves the page and, with the token, the data over it", async () => {
    assert.equal((await request(`${sbc.url}/`)).status, 200);
    assert.equal((await request(`${sbc.url}/api/v1/history`)).status, 401);
    const ok = await request(`${sbc.url}/api/v1/history`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    const sock = io(sbc.url, { transports: ["websocket"], rejectUnauthorized: false, forceNew: true,
      reconnection: false, auth: { token: TOKEN } });
    const rec = new Recorder(sock);
    try {
      await rec.until((r) => r.named("sample").length >= 1, 8000, "a sample over wss with the token");
    } finally {
      sock.close();
    }
  });

  it("refuses to start with a certificate but no key", async () => {
    const port = await freePort();
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(process.env.SBCMON_BIN, ["--port", String(port), "--bind", HOST, "--tls-cert", cert], {
      encoding: "utf8", timeout: deadline(5000) });
    assert.notEqual(r.status, 0, "exit status");
    assert.match(r.stderr, /tls-key/);
    // And nothing listens there.
    const open = await withTimeout(new Promise((resolve) => {
      const s = net.connect({ host: HOST, port });
      s.once("connect", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    }), 2000, "connect probe");
    assert.equal(open, false);
  });
});
