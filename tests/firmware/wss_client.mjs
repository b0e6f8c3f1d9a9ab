// A real Socket.IO client (socket.io-client 4 from tests/node_modules) against a firmware
// binary served over TLS: connects over WSS only, as a browser on the board's LAN would,
// and waits for the board description and two consecutive live samples.
//   node tests/firmware/wss_client.mjs https://127.0.0.1:<port>/ [timeout ms]
// Prints one line describing what arrived; exits 0 on success, 1 otherwise.
import { io } from "socket.io-client";

const url = process.argv[2];
const timeoutMs = Number(process.argv[3] || 60000);
if (!url) {
  console.error("usage: wss_client.mjs <https url> [timeout ms]");
  process.exit(2);
}

const sock = io(url, {
  transports: ["websocket"],
  rejectUnauthorized: false,
  reconnection: false,
  forceNew: true,
  timeout: timeoutMs,
});
const samples = [];
let board = null;
const finish = (code, msg) => {
  console.log(msg);
  sock.close();
  process.exit(code);
};
const timer = setTimeout(
  () => finish(1, `timed out after ${timeoutMs} ms: board=${board !== null}, ${samples.length} sample(s)`),
  timeoutMs,
);
sock.on("connect_error", (e) => {
  clearTimeout(timer);
  finish(1, `connect_error: ${e.message}`);
});
sock.on("board", (b) => {
  board = b;
});
sock.on("sample", (s) => {
  samples.push(s);
  if (board === null || samples.length < 2) return;
  clearTimeout(timer);
  const transport = sock.io.engine.transport.name;
  const secure = url.startsWith("https:");
  const [a, b] = samples;
  const seqOk = typeof a.seq === "number" && b.seq === a.seq + 1;
  if (transport !== "websocket" || !secure || !seqOk) {
    finish(1, `unexpected: transport ${transport}, secure ${secure}, seqs ${a.seq} -> ${b.seq}`);
  }
  finish(0, `transport websocket over TLS, board ${JSON.stringify(board).slice(0, 80)}, samples seq ${a.seq} -> ${b.seq}`);
});
