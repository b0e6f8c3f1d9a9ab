// Reference implementation of the conformance server, built on the official
// socket.io / engine.io Node packages. The suites run against it with
// SBCMON_TEST_TARGET=reference so every expectation is checked against the
// reference behaviour before it is held against sbcmon.
//   node reference_server.mjs --port <p> --bind 127.0.0.1
import http from "node:http";
import { Server as EngineServer } from "engine.io";
import { Server } from "socket.io";

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg("--port", "3000"));
const bind = arg("--bind", "127.0.0.1");

const timings = {
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  allowEIO3: true,
  // Both servers share one HTTP server: neither may kill the other's upgrades.
  destroyUpgrade: false,
};

const httpServer = http.createServer();

// Raw Engine.IO echo at /engine.io/: every message goes straight back.
const engine = new EngineServer(timings);
engine.attach(httpServer, { path: "/engine.io/", destroyUpgrade: false });
engine.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
});

// Socket.IO at /socket.io/ with namespaces "/" and "/custom".
const io = new Server(httpServer, { ...timings, connectTimeout: 1000 });
function onConnection(socket) {
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
}
io.of("/").on("connection", onConnection);
io.of("/custom").on("connection", onConnection);

httpServer.listen(port, bind);

process.on("SIGTERM", () => {
  io.close();
  engine.close();
  httpServer.close();
  // Pending long-polls keep sockets open; the exit is what the tests check.
  setTimeout(() => process.exit(0), 50);
});
