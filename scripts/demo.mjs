// `make demo BOARD=pi4|bbb`: sbcmon on a scratch copy of a board fixture (build/demo/<board>)
// whose /proc and /sys files scripts/synthetic-load.mjs keeps moving, so someone without
// the board sees what it would show. Ctrl-C stops both.
//   node scripts/demo.mjs <pi4|bbb> <sbcmon binary> [sbcmon flags...]
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { syntheticLoad } from "./synthetic-load.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const boards = { pi4: "pi4", rpi4: "pi4", bbb: "bbb", "beaglebone-black": "bbb" };
const [board, bin, ...flags] = process.argv.slice(2);
if (!boards[board] || !bin) {
  console.error("usage: node scripts/demo.mjs <pi4|bbb> <sbcmon binary> [sbcmon flags...]");
  process.exit(2);
}
const fixture = boards[board];
const root = path.join(REPO, "build", "demo", fixture);
fs.rmSync(root, { recursive: true, force: true });
fs.mkdirSync(path.dirname(root), { recursive: true });
fs.cpSync(path.join(REPO, "tests", "fixtures", fixture), root, { recursive: true });
const load = syntheticLoad(root);
load.step(0.25);
const feeder = setInterval(() => load.step(0.25), 250);

console.log(`demo: a synthetic ${fixture === "pi4" ? "Raspberry Pi 4" : "BeagleBone Black"} ` +
            `in build/demo/${fixture} (its files change every 250 ms)`);
const child = spawn(bin, ["--proc-root", root, "--sys-root", path.join(root, "sys"), ...flags],
                    { stdio: "inherit" });
const stop = () => { clearInterval(feeder); child.kill("SIGTERM"); };
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
child.on("exit", (code, signal) => {
  clearInterval(feeder);
  process.exit(signal ? 0 : code ?? 1);
});
