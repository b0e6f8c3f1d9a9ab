"""Starts the server under test for the Python integration tests: sbcmon in
--conformance mode ($SBCMON_BIN), or the socket.io reference implementation
(lib/reference_server.mjs) when SBCMON_TEST_TARGET=reference. Binds to and is
reached only on 127.0.0.1."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HOST = '127.0.0.1'
HERE = os.path.dirname(os.path.abspath(__file__))
IS_REFERENCE = os.environ.get('SBCMON_TEST_TARGET') == 'reference'
# Loopback traffic must never be sent to a proxy from the environment.
os.environ['no_proxy'] = os.environ['NO_PROXY'] = '127.0.0.1,localhost'



def _time_scale():
    """As tests/lib/deadline.mjs: SBCMON_TIME_SCALE, else the load per core (1..8)."""
    try:
        set_scale = float(os.environ.get('SBCMON_TIME_SCALE', ''))
    except ValueError:
        set_scale = 0
    if set_scale > 0:
        return max(1.0, set_scale)
    return min(8.0, max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)))


# Heartbeats stretch with the scale (sbcmon only), so a busy machine's stall is not
# a missed pong. Pings come often (every test sees several); the wait for a pong is
# a second: a client busy decoding a 300 kB payload on a loaded machine was seen to
# answer later than 0.2 s x the scale taken when the suite started.
TIME_SCALE = 1.0 if IS_REFERENCE else _time_scale()
PING_INTERVAL = 0.3 * TIME_SCALE
PING_TIMEOUT = 1.0 * TIME_SCALE
MAX_PAYLOAD = 1000000


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _accepts(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


class SbcmonServer:
    """Spawns the server on a free port; stop() sends SIGTERM and raises unless
    it exits with status 0 within 5 s."""

    def __init__(self):
        self.proc = None
        self.port = None
        self.log_path = None

    @property
    def url(self):
        return 'http://%s:%d' % (HOST, self.port)

    def _command(self):
        if IS_REFERENCE:
            return ['node', os.path.join(HERE, 'lib', 'reference_server.mjs'),
                    '--port', str(self.port), '--bind', HOST]
        binary = os.environ.get('SBCMON_BIN')
        if not binary:
            raise RuntimeError('SBCMON_BIN is not set (or set SBCMON_TEST_TARGET=reference)')
        beat = []
        if TIME_SCALE > 1:
            beat = ['--ping-interval', '%dms' % round(PING_INTERVAL * 1000),
                    '--ping-timeout', '%dms' % round(PING_TIMEOUT * 1000)]
        return [binary, '--conformance', '--port', str(self.port), '--bind', HOST] + beat

    def start(self):
        last = None
        for _ in range(3):
            self.port = free_port()
            self._log = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(self._command(), stdout=self._log,
                                         stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if _accepts(self.port):
                    return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
            last = RuntimeError('server did not accept on port %d (exit %r): %s'
                                % (self.port, self.proc.returncode, self.output()))
        raise last

    def output(self):
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode('utf-8', 'replace')

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise RuntimeError('server ignored SIGTERM for 5 s: ' + self.output())
        if code != 0:
            raise RuntimeError('server exited with %r after SIGTERM: %s' % (code, self.output()))

    def get(self, path_and_query, timeout=3):
        """GET on the server; returns (status, body text)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.url + path_and_query, timeout=timeout) as r:
                return r.status, r.read().decode('utf-8')
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode('utf-8')


def error_json(body):
    # Only an Engine.IO error object counts: a payload such as "1" (a close
    # packet) also parses as JSON, to a number.
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
