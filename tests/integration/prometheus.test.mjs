// /metrics as a fleet operator uses it: a real Prometheus (Debian's package) scrapes
// sbcmon running on the pi4 fixture every second, and its query API must return
// sbcmon's series with the fixture's values; promtool must accept the exposition.
// Loopback only; every wait is bounded.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { HOST, fixtureCopy, freePort, get, skipReason, sleep, startMonitor, withTimeout } from "./lib/fixture_tree.mjs";

const PROMETHEUS = process.env.PROMETHEUS_BIN || "prometheus";
const PROMTOOL = process.env.PROMTOOL_BIN || "promtool";

// The exposition keeps node_exporter's memory names so existing dashboards work;
// promtool's lint flags exactly those (node_exporter's own output gets the same notes).
const ALLOWED_LINT = new Set(
  ["MemAvailable", "MemTotal", "SwapFree", "SwapTotal"].map(
    (f) => `node_memory_${f}_bytes metric names should be written in 'snake_case' not 'camelCase'`,
  ),
);

function onPath(cmd) {
  return (process.env.PATH || "").split(":").some((d) => d && fs.existsSync(path.join(d, cmd)));
}

function skipWhy() {
  const base = skipReason();
  if (base) return base;
  for (const cmd of [PROMETHEUS, PROMTOOL]) {
    if (!(cmd.includes("/") ? fs.existsSync(cmd) : onPath(cmd))) {
      const reason = `${cmd} not installed (Debian package prometheus)`;
      // Under CI a missing tool is a failure, never a silent skip.
      if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
      return reason;
    }
  }
  return false;
}

// Runs `cmd args` with `input` on stdin; resolves { code, out } within `ms`.
function run(cmd, args, input, ms = 10000) {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  child.stdin.end(input);
  const done = new Promise((resolve) => child.once("exit", (code) => resolve({ code, out })));
  return withTimeout(done, ms, `${cmd} ${args.join(" ")}`).catch((e) => {
    child.kill("SIGKILL");
    throw e;
  });
}

// One instant-query result set from Prometheus' HTTP API.
async function query(port, expr) {
  const r = await get(port, `/api/v1/query?query=${encodeURIComponent(expr)}`);
  assert.equal(r.status, 200, `query ${expr}: ${r.text}`);
  const j = JSON.parse(r.text);
  assert.equal(j.status, "success", r.text);
  return j.data.result;
}

// The single value of `expr`, waiting (bounded) until Prometheus has it.
async function valueOf(port, expr, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await query(port, expr);
    if (res.length === 1) return Number(res[0].value[1]);
    assert.ok(res.length === 0, `${expr}: expected one series, got ${JSON.stringify(res)}`);
    if (Date.now() > deadline) throw new Error(`Prometheus has no series for ${expr} after ${ms} ms`);
    await sleep(250);
  }
}

const skip = skipWhy();

describe("prometheus: /metrics", { skip }, () => {
  let server;
  let tree;

  before(async () => {
    tree = fixtureCopy("pi4");
    server = await startMonitor(["--interval", "500ms", "--proc-root", tree.dir, "--sys-root", tree.sys]);
  });

  after(async () => {
    try {
      if (server) await server.stop();
    } finally {
      tree?.remove();
    }
  });

  it("serves the 0.0.4 text format that promtool accepts", async () => {
    const r = await get(server.port, "/metrics");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(r.headers["content-encoding"], undefined, "no gzip unless asked for");
    assert.match(r.text, /^node_memory_MemTotal_bytes 3973427200$/m);
    assert.match(r.text, /^node_cpu_seconds_total\{cpu="0",mode="user"\} 4123\.45$/m);
    assert.match(r.text, /^node_thermal_zone_temp\{type="cpu-thermal",zone="0"\} 47\.712$/m);
    assert.match(r.text, /^node_network_receive_bytes_total\{device="eth0"\} 987654321$/m);
    assert.match(r.text, /^sbcmon_rpi_throttled\{flag="under_voltage"\} 0$/m);
    assert.match(r.text, /^sbcmon_sample_duration_seconds \d/m);
    // The ring sbcmon reports is memory it holds: at least 600 samples of 4 cores' figures,
    // and inside the process's own anonymous memory (it is zeroed at start-up).
    const ring = Number((/^sbcmon_history_bytes (\d+)$/m.exec(r.text) ?? [])[1]);
    const anonKb = Number((/^RssAnon:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${server.child.pid}/status`, "utf8")) ?? [])[1]);
    assert.ok(ring >= 600 * 4 * 2 * 4, `sbcmon_history_bytes ${ring}`);
    assert.ok(ring <= anonKb * 1024, `history ${ring} B > RssAnon ${anonKb} kB`);
    assert.doesNotMatch(r.text, /device="lo"/, "loopback is not shown");
    const { code, out } = await run(PROMTOOL, ["check", "metrics"], r.body);
    const problems = out.split("\n").filter((l) => l.trim() && !ALLOWED_LINT.has(l.trim()));
    assert.deepEqual(problems, [], `promtool check metrics (exit ${code}):\n${out}`);
    assert.ok(code === 0 || (code === 3 && out.trim()), `promtool exit ${code}:\n${out}`);
  });

  it("gzips the body for a client that accepts gzip", async () => {
    const r = await get(server.port, "/metrics", { "accept-encoding": "gzip" });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-encoding"], "gzip");
    const text = zlib.gunzipSync(r.body).toString("utf8");
    assert.match(text, /^# TYPE node_cpu_seconds_total counter$/m);
    assert.ok(r.body.length * 3 < text.length, `gzip should shrink it: ${r.body.length} of ${text.length}`);
  });

  describe("scraped by a real Prometheus", () => {
    let prom;
    let promPort;
    let promDir;
    let promOut = "";

    before(async () => {
      promDir = fs.mkdtempSync(path.join(os.tmpdir(), "sbcmon-prometheus-"));
      const config = [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        "  - job_name: sbcmon",
        "    static_configs:",
        `      - targets: ['${HOST}:${server.port}']`,
        "        labels: {board: pi4-fixture}",
        "",
      ].join("\n");
      fs.writeFileSync(path.join(promDir, "prometheus.yml"), config);
      const check = await run(PROMTOOL, ["check", "config", path.join(promDir, "prometheus.yml")], "");
      assert.equal(check.code, 0, check.out);
      promPort = await freePort();
      prom = spawn(
        PROMETHEUS,
        [
          `--config.file=${path.join(promDir, "prometheus.yml")}`,
          `--storage.tsdb.path=${path.join(promDir, "data")}`,
          `--web.listen-address=${HOST}:${promPort}`,
          "--log.level=warn",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      prom.stdout.on("data", (d) => (promOut += d));
      prom.stderr.on("data", (d) => (promOut += d));
      const deadline = Date.now() + 20000;
      for (;;) {
        const r = await get(promPort, "/-/ready", {}, 1000).catch(() => null);
        if (r && r.status === 200) break;
        if (prom.exitCode !== null || Date.now() > deadline) {
          throw new Error(`prometheus did not become ready (exit ${prom.exitCode}):\n${promOut}`);
        }
        await sleep(200);
      }
    });

    after(async () => {
      if (prom && prom.exitCode === null) {
        const exited = new Promise((resolve) => prom.once("exit", resolve));
        prom.kill("SIGTERM");
        await withTimeout(exited, 10000, "prometheus exit").catch(() => prom.kill("SIGKILL"));
      }
      if (promDir) fs.rmSync(promDir, { recursive: true, force: true });
    });

    it("finds the target up and sbcmon's series with the fixture's values", async () => {
      assert.equal(await valueOf(promPort, 'up{job="sbcmon"}'), 1, promOut);
      assert.equal(await valueOf(promPort, "node_memory_MemTotal_bytes"), 3880300 * 1024);
      assert.equal(await valueOf(promPort, "node_memory_MemAvailable_bytes"), 3356728 * 1024);
      assert.equal(await valueOf(promPort, 'node_cpu_seconds_total{cpu="0",mode="user"}'), 4123.45);
      assert.equal(await valueOf(promPort, 'count(node_cpu_seconds_total{job="sbcmon"})'), 4 * 8);
      assert.equal(await valueOf(promPort, "node_load1"), 0.52);
      assert.equal(await valueOf(promPort, 'node_thermal_zone_temp{type="cpu-thermal"}'), 47.712);
      assert.equal(await valueOf(promPort, 'node_cpu_scaling_frequency_hertz{cpu="3"}'), 1.5e9);
      assert.equal(await valueOf(promPort, 'sbcmon_board_info{model="Raspberry Pi 4 Model B Rev 1.4"}'), 1);
      assert.equal(await valueOf(promPort, 'sbcmon_build_info{board=~".+",version=~".+"}'), 1);
      assert.equal(await valueOf(promPort, 'count(sbcmon_rpi_throttled{board="pi4-fixture"} == 0)'), 8);
      const duration = await valueOf(promPort, "sbcmon_sample_duration_seconds");
      assert.ok(duration > 0 && duration < 0.5, `sample duration ${duration} s`);
      // Uptime the node_exporter way: the fixture says 273912.37 s.
      const uptime = await valueOf(promPort, "node_time_seconds - node_boot_time_seconds");
      assert.ok(Math.abs(uptime - 273912.37) < 0.01, `uptime ${uptime}`);
      assert.ok((await valueOf(promPort, 'scrape_samples_scraped{job="sbcmon"}')) > 50);
    });

    it("sees the counters grow between scrapes (rate works)", async () => {
      // Each scrape is an HTTP request, so sbcmon's own request counter must rise.
      const expr = 'increase(sbcmon_http_requests_total{job="sbcmon"}[5s])';
      const deadline = Date.now() + 15000;
      let v = 0;
      while (Date.now() < deadline) {
        const res = await query(promPort, expr);
        v = res.length === 1 ? Number(res[0].value[1]) : 0;
        if (v > 0) break;
        await sleep(500);
      }
      assert.ok(v > 0, `${expr} = ${v}`);
    });
  });
});
