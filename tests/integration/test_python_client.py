"""Debian's python-socketio client (5.x, Engine.IO v4) against the conformance
server: connect with auth, events, acks, binary, ordering, a 300 kB payload,
two namespaces on one connection, Invalid namespace, heartbeats, clean
disconnect and an over-limit message — over polling, websocket and upgrade."""
import json
import os
import threading
import time
import unittest
import warnings

import socketio

from sbcmon_server import MAX_PAYLOAD, PING_INTERVAL, PING_TIMEOUT, SbcmonServer, error_json

SERVER = None
WAIT = 5.0


IS_REFERENCE = os.environ.get('SBCMON_TEST_TARGET') == 'reference'


def setUpModule():
    global SERVER
    # requests leaves pooled sockets to the GC; that noise hides real failures.
    warnings.simplefilter('ignore', ResourceWarning)
    SERVER = SbcmonServer().start()


def tearDownModule():
    SERVER.stop()


class Collector:
    """Records events of one namespace and lets a test wait for a count."""

    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def add(self, name, *args):
        with self.cond:
            self.events.append((name, args))
            self.cond.notify_all()

    def named(self, name):
        with self.cond:
            return [args for n, args in self.events if n == name]

    def wait_for(self, name, count=1, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len([1 for n, _ in self.events if n == name]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError('waited %.1f s for %d "%s" events; got %r'
                                         % (timeout, count, name, [n for n, _ in self.events][-10:]))
                self.cond.wait(left)
            return [args for n, args in self.events if n == name]


def big_string():
    return '0123456789abcdef-h\u00e9llo-\U0001F600|' * 11000


class Scenarios:
    """Mixed into one TestCase per transport mode."""
    TRANSPORTS = None
    EXPECTED_TRANSPORT = None

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.disconnect()
            except Exception:
                pass

    def make_client(self, namespaces=('/',)):
        sio = socketio.Client(reconnection=False, request_timeout=WAIT)
        collectors = {}
        for nsp in namespaces:
            col = Collector()
            collectors[nsp] = col
            sio.on('*', (lambda c: lambda event, *a: c.add(event, *a))(col), namespace=nsp)
            sio.on('connect_error', (lambda c: lambda *a: c.add('connect_error', *a))(col), namespace=nsp)
            sio.on('disconnect', (lambda c: lambda *a: c.add('disconnect', *a))(col), namespace=nsp)
        # python-socketio runs each event handler in its own thread, so
        # handlers may see events out of order; the read loop sees the wire
        # order, so record Socket.IO packets there.
        sio.wire = []
        receive = sio.eio._receive_packet

        def recording(pkt):
            if pkt.packet_type == 4 and isinstance(pkt.data, str):
                sio.wire.append(pkt.data)
            return receive(pkt)

        sio.eio._receive_packet = recording
        self.clients.append(sio)
        return sio, collectors

    def wire_order(self, sio, event):
        prefix = '2["%s",' % event
        return [json.loads(d[1:])[1] for d in sio.wire if d.startswith(prefix)]

    def connect(self, namespaces=('/',), auth=None):
        sio, cols = self.make_client(namespaces)
        sio.connect(SERVER.url, auth=auth, transports=self.TRANSPORTS,
                    namespaces=list(namespaces), wait_timeout=WAIT)
        self.assertTrue(sio.connected)
        self.assertEqual(sio.transport(), self.EXPECTED_TRANSPORT)
        return sio, cols

    def round_trip(self, sio, col, args, namespace='/'):
        before = len(col.named('message-back'))
        sio.emit('message', args, namespace=namespace)
        return col.wait_for('message-back', before + 1)[before]

    def ack(self, sio, args, namespace='/'):
        done = threading.Event()
        got = []

        def callback(*a):
            got.append(a)
            done.set()

        sio.emit('message-with-ack', args, namespace=namespace, callback=callback)
        self.assertTrue(done.wait(WAIT), 'no ack within %s s' % WAIT)
        return got[0]

    def test_connect_and_auth_echo(self):
        auth = {'token': 'abc', 'n': '42'}
        sio, cols = self.connect(('/', '/custom'), auth=auth)
        for nsp in ('/', '/custom'):
            col = cols[nsp]
            col.wait_for('auth')
            self.assertEqual(col.events[0], ('auth', (auth,)), nsp)
            self.assertTrue(sio.get_sid(nsp))
        self.assertNotEqual(sio.get_sid('/'), sio.get_sid('/custom'))

    def test_events_round_trip(self):
        sio, cols = self.connect()
        args = (1, '2', {'3': [True], 'nested': {'a': None, 's': 'h\u00e9llo \U0001F600'}}, [1.5, -2], False)
        self.assertEqual(self.round_trip(sio, cols['/'], args), args)

    def test_acks_with_ids(self):
        sio, _ = self.connect()
        results = {}
        done = threading.Event()
        lock = threading.Lock()

        # python-engineio decodes at most 16 packets per polling response
        # (Payload.max_decode_packets), so stay below that here; the burst
        # case has its own test.
        for i in range(12):
            def callback(*a, i=i):
                with lock:
                    results[i] = a
                    if len(results) == 12:
                        done.set()
            sio.emit('message-with-ack', (i, 'v%d' % i, {'i': i}), callback=callback)
        self.assertTrue(done.wait(WAIT), 'acks received: %d' % len(results))
        for i in range(12):
            self.assertEqual(results[i], (i, 'v%d' % i, {'i': i}))

    def test_binary_both_ways(self):
        sio, cols = self.connect()
        a = bytes([0, 1, 2, 3, 255, 254])
        b = b'\x5a' * 5000
        back = self.round_trip(sio, cols['/'], ('bin', a, {'nested': b, 'list': [a]}))
        self.assertEqual(back, ('bin', a, {'nested': b, 'list': [a]}))
        self.assertEqual(self.ack(sio, (a, 'x', b)), (a, 'x', b))

    def test_200_events_in_order(self):
        sio, cols = self.connect()
        # Bursts of 10 (see test_acks_with_ids for why not more at once).
        for burst in range(20):
            for i in range(burst * 10, burst * 10 + 10):
                sio.emit('message', i)
            cols['/'].wait_for('message-back', burst * 10 + 10, timeout=WAIT)
        got = cols['/'].named('message-back')
        self.assertEqual(sorted(a[0] for a in got), list(range(200)))
        self.assertEqual(self.wire_order(sio, 'message-back'), list(range(200)))

    @unittest.skipIf(IS_REFERENCE, 'sbcmon-only: the reference server puts every queued packet '
                     'in one polling response, more than python-engineio decodes (16)')
    def test_burst_of_60_events_in_order(self):
        # A client must get every event of a burst whatever its transport:
        # over polling the server has to spread them over responses of at
        # most 16 packets, which is all python-engineio accepts.
        sio, cols = self.connect()
        for i in range(60):
            sio.emit('message', i)
        got = cols['/'].wait_for('message-back', 60, timeout=10)
        self.assertEqual(sorted(a[0] for a in got), list(range(60)))
        self.assertEqual(self.wire_order(sio, 'message-back'), list(range(60)))
        self.assertTrue(sio.connected)

    def test_300kB_payloads(self):
        sio, cols = self.connect()
        text = big_string()
        self.assertGreater(len(text.encode()), 300000)
        self.assertEqual(self.round_trip(sio, cols['/'], text), (text,))
        data = bytes((i * 31 + 7) & 0xff for i in range(300000))
        self.assertEqual(self.round_trip(sio, cols['/'], data), (data,))

    def test_two_namespaces_on_one_connection(self):
        sio, cols = self.connect(('/', '/custom'))
        eio_sid = sio.eio.sid
        sio.emit('message', 'to-custom', namespace='/custom')
        sio.emit('message', 'to-main', namespace='/')
        cols['/'].wait_for('message-back')
        cols['/custom'].wait_for('message-back')
        time.sleep(0.1)
        self.assertEqual(cols['/'].named('message-back'), [('to-main',)])
        self.assertEqual(cols['/custom'].named('message-back'), [('to-custom',)])
        self.assertEqual(sio.eio.sid, eio_sid)

    def test_invalid_namespace(self):
        sio, cols = self.make_client(('/random',))
        try:
            sio.connect(SERVER.url, transports=self.TRANSPORTS, namespaces=['/random'], wait_timeout=WAIT)
        except socketio.exceptions.ConnectionError:
            pass
        got = cols['/random'].wait_for('connect_error')
        self.assertEqual(got[0], ({'message': 'Invalid namespace'},))
        self.assertNotIn('/random', sio.namespaces)

    def test_survives_heartbeats(self):
        sio, cols = self.connect()
        pongs = []
        original = sio.eio._send_packet

        def counting(pkt):
            if pkt.packet_type == 3:
                pongs.append(time.monotonic())
            return original(pkt)

        sio.eio._send_packet = counting
        sid, eio_sid = sio.get_sid('/'), sio.eio.sid
        time.sleep(3 * (PING_INTERVAL + PING_TIMEOUT) + 0.3)
        self.assertTrue(sio.connected)
        self.assertEqual(cols['/'].named('disconnect'), [])
        self.assertEqual((sio.get_sid('/'), sio.eio.sid), (sid, eio_sid))
        self.assertGreaterEqual(len(pongs), 3, 'server pings answered')
        self.assertEqual(self.round_trip(sio, cols['/'], 'alive'), ('alive',))

    def test_clean_disconnect(self):
        sio, cols = self.connect()
        eio_sid = sio.eio.sid
        sio.disconnect()
        self.assertFalse(sio.connected)
        # The server forgets the session at the close packet, or at the latest when
        # its heartbeat misses a pong: one interval + timeout (scaled) and some slack.
        deadline = time.monotonic() + PING_INTERVAL + PING_TIMEOUT + 2
        while True:
            status, body = SERVER.get('/socket.io/?EIO=4&transport=polling&sid=' + eio_sid)
            if (error_json(body) or {}).get('code') == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(status, 400)
        self.assertEqual(error_json(body), {'code': 1, 'message': 'Session ID unknown'})

    def test_over_limit_message_drops_only_its_client(self):
        bystander, bcols = self.connect()
        offender, _ = self.connect()
        bsid = bystander.get_sid('/')
        offender.emit('message', 'x' * (MAX_PAYLOAD + 100000))
        deadline = time.monotonic() + WAIT
        while offender.eio.state == 'connected' and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertNotEqual(offender.eio.state, 'connected', 'over-limit client still connected')
        time.sleep(0.3)
        self.assertTrue(bystander.connected)
        self.assertEqual(bystander.get_sid('/'), bsid)
        self.assertEqual(self.round_trip(bystander, bcols['/'], 'still here'), ('still here',))


class PollingTest(Scenarios, unittest.TestCase):
    TRANSPORTS = ['polling']
    EXPECTED_TRANSPORT = 'polling'


class WebsocketTest(Scenarios, unittest.TestCase):
    TRANSPORTS = ['websocket']
    EXPECTED_TRANSPORT = 'websocket'


class UpgradeTest(Scenarios, unittest.TestCase):
    TRANSPORTS = ['polling', 'websocket']
    EXPECTED_TRANSPORT = 'websocket'


if __name__ == '__main__':
    unittest.main()
