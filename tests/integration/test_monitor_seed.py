"""The seed contract with Debian's python-socketio client (5.x): the Flask-SocketIO
tutorial's namespace /test gets `server_response` {"data": ["MM:SS", [per-core %]],
"count": n} every tick with count going up by one, as psutil.cpu_percent(percpu=True)
floats; and a python client on "/" gets board, then history, then samples that
continue it, and the history-since ack. sbcmon runs in monitor mode on the live
/proc of this machine, so the figures are real."""
import re
import threading
import time
import unittest
import warnings

import socketio

from sbcmon_server import IS_REFERENCE, SbcmonServer

PERIOD_S = 0.5
WAIT = 10.0
SERVER = None


class MonitorServer(SbcmonServer):
    """sbcmon in monitor mode (not --conformance), sampling every PERIOD_S."""

    def _command(self):
        cmd = super()._command()
        return [a for a in cmd if a != '--conformance'] + ['--interval', '%dms' % (PERIOD_S * 1000)]


def setUpModule():
    global SERVER
    warnings.simplefilter('ignore', ResourceWarning)
    SERVER = MonitorServer().start()


def tearDownModule():
    SERVER.stop()


class Events:
    """Events of one client, in arrival order, with a bounded wait."""

    def __init__(self):
        self.items = []
        self.cond = threading.Condition()

    def add(self, name, data):
        with self.cond:
            self.items.append((name, data, time.time()))
            self.cond.notify_all()

    def named(self, name):
        with self.cond:
            return [d for n, d, _ in self.items if n == name]

    def wait_for(self, name, count, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len([1 for n, _, _ in self.items if n == name]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError('waited %.1f s for %d "%s"; got %r'
                                         % (timeout, count, name, [n for n, _, _ in self.items][-10:]))
                self.cond.wait(left)
            return [d for n, d, _ in self.items if n == name]


@unittest.skipIf(IS_REFERENCE, 'monitor mode is sbcmon only')
class SeedNamespace(unittest.TestCase):
    """A page written for the Flask-SocketIO tutorial only listens on /test."""

    def run_seed(self, transports):
        ev = Events()
        client = socketio.Client(reconnection=False)
        client.on('server_response', lambda data: ev.add('server_response', (data, time.time())),
                  namespace='/test')
        root = Events()
        client.on('board', lambda data: root.add('board', data))
        client.connect(SERVER.url, namespaces=['/', '/test'], transports=transports, wait_timeout=5)
        try:
            self.assertEqual(client.transport(), transports[-1])
            cores = root.wait_for('board', 1)[0]['cores']
            got = ev.wait_for('server_response', 5, timeout=5 * PERIOD_S + WAIT)
        finally:
            client.disconnect()

        counts = []
        for payload, received in got:
            self.assertIsInstance(payload, dict)
            self.assertEqual(set(payload), {'data', 'count'}, payload)
            data = payload['data']
            self.assertIsInstance(data, list, payload)
            self.assertEqual(len(data), 2, payload)
            stamp, cpus = data
            self.assertRegex(stamp, r'^\d\d:\d\d$', payload)
            # MM:SS is the server's local time of the sample: close to our own clock.
            lt = time.localtime(received)
            mm, ss = int(stamp[:2]), int(stamp[3:])
            self.assertTrue(0 <= mm < 60 and 0 <= ss < 60, stamp)
            skew = ((lt.tm_min * 60 + lt.tm_sec) - (mm * 60 + ss)) % 3600
            self.assertTrue(skew <= 3 or skew >= 3600 - 1, 'stamp %s received at %02d:%02d'
                            % (stamp, lt.tm_min, lt.tm_sec))
            self.assertIsInstance(cpus, list, payload)
            self.assertEqual(len(cpus), cores, 'one figure per core: %r' % payload)
            for v in cpus:
                # psutil.cpu_percent gives floats: a chart fed 12 instead of 12.0 is
                # fine, but a bool or string is not.
                self.assertIs(type(v), float, 'per-core figure %r in %r' % (v, payload))
                self.assertTrue(0.0 <= v <= 100.0, payload)
            self.assertIs(type(payload['count']), int, payload)
            counts.append(payload['count'])
        self.assertGreaterEqual(counts[0], 1)
        self.assertEqual(counts, list(range(counts[0], counts[0] + len(counts))),
                         'count must go up by exactly 1 per tick: %r' % counts)

    def test_server_response_over_polling(self):
        self.run_seed(['polling'])

    def test_server_response_over_websocket(self):
        self.run_seed(['websocket'])

    def test_server_response_after_upgrade(self):
        self.run_seed(['polling', 'websocket'])

    def test_only_test_namespace(self):
        """A tutorial page joins /test alone: it gets server_response and nothing of "/"."""
        ev = Events()
        client = socketio.Client(reconnection=False)
        client.on('*', lambda name, data: ev.add(name, data), namespace='/test')
        client.on('server_response', lambda data: ev.add('server_response', data), namespace='/test')
        client.connect(SERVER.url, namespaces=['/test'], transports=['websocket'], wait_timeout=5)
        try:
            ev.wait_for('server_response', 3, timeout=3 * PERIOD_S + WAIT)
        finally:
            client.disconnect()
        self.assertEqual({n for n, _, _ in ev.items}, {'server_response'})


@unittest.skipIf(IS_REFERENCE, 'monitor mode is sbcmon only')
class RootNamespace(unittest.TestCase):
    """What the page does, from python: board, history, samples, history-since."""

    def test_board_history_samples_and_ack(self):
        ev = Events()
        client = socketio.Client(reconnection=False)
        for name in ('board', 'history', 'sample'):
            client.on(name, (lambda n: lambda data: ev.add(n, data))(name))
        # Let a few ticks pass so history is not empty.
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            status, body = SERVER.get('/healthz')
            if status == 200 and '"samples":' in body and int(body.split('"samples":')[1].rstrip('}')) >= 3:
                break
            time.sleep(0.1)
        client.connect(SERVER.url, transports=['polling', 'websocket'], wait_timeout=5)
        try:
            ev.wait_for('sample', 3, timeout=3 * PERIOD_S + WAIT)
            names = [n for n, _, _ in ev.items]
            self.assertEqual(names[:3], ['board', 'history', 'sample'], names)
            board = ev.named('board')[0]
            for key in ('cores', 'period_ms', 'capacity', 'version'):
                self.assertIn(key, board)
            self.assertEqual(board['period_ms'], int(PERIOD_S * 1000))
            self.assertGreaterEqual(board['cores'], 1)

            history = ev.named('history')[0]
            seqs = history['seq']
            self.assertGreaterEqual(len(seqs), 3)
            self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))), 'history has a gap')
            self.assertEqual(len(history['cpu']), board['cores'])
            for col in history['cpu']:
                self.assertEqual(len(col), len(seqs))
            live = [s['seq'] for s in ev.named('sample')]
            self.assertEqual(live[0], seqs[-1] + 1, 'first sample %d after history %r' % (live[0], seqs))
            self.assertEqual(live, list(range(live[0], live[0] + len(live))), 'live gap %r' % live)
            self.assertEqual(len(ev.named('sample')[0]['cpu']), board['cores'])

            since = history['t'][-2]
            ack = client.call('history', {'since': since}, timeout=3)
            self.assertEqual(ack['seq'][0], seqs[-1], 'ack since t of seq %d' % seqs[-2])
            self.assertTrue(all(t > since for t in ack['t']), ack['t'])
            self.assertEqual(ack['seq'], list(range(ack['seq'][0], ack['seq'][0] + len(ack['seq']))))
            self.assertGreaterEqual(ack['seq'][-1], live[-1])
        finally:
            client.disconnect()


if __name__ == '__main__':
    unittest.main()
