# The Flask-SocketIO tutorial server (shared/seed 000), kept as the article writes it, for
# `make bench`. Changes, and only these: the period and port come from argv; the payload
# also carries "t" (wall ms at emit) so the load generator can measure emit-to-receive
# latency; debug=False, since debug=True starts Werkzeug's reloader, a second Python
# process polling files, which no one measuring a board would leave on.
#   usage: /usr/bin/python3 app.py PORT PERIOD_S
import sys
import psutil
import time
from threading import Lock
import os

from flask import Flask, render_template
from flask_socketio import SocketIO

PORT = int(sys.argv[1])
PERIOD_S = float(sys.argv[2])

async_mode = None
# The tutorial's own page, kept once in the repository (tests/browser/seed/).
app = Flask(__name__, template_folder=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    '..', '..', 'tests', 'browser', 'seed'))
app.config['SECRET_KEY'] = 'secret!'
socketio = SocketIO(app, async_mode=async_mode)
thread = None
thread_lock = Lock()


# 后台线程 产生数据，即刻推送至前端
def background_thread():
    count = 0
    while True:
        socketio.sleep(PERIOD_S)
        count += 1
        t = time.strftime('%M:%S', time.localtime())
        # 获取系统时间（只取分:秒）
        cpus = psutil.cpu_percent(interval=None, percpu=True)
        # 获取系统cpu使用率 non-blocking
        socketio.emit('server_response',
                      {'data': [t, cpus], 'count': count, 't': int(time.time() * 1000)},
                      namespace='/test')
        # 注意：这里不需要客户端连接的上下文，默认 broadcast = True


@app.route('/')
def index():
    return render_template('cpumem.html', async_mode=socketio.async_mode)


@socketio.on('connect', namespace='/test')
def test_connect():
    global thread
    with thread_lock:
        if thread is None:
            thread = socketio.start_background_task(target=background_thread)


if __name__ == '__main__':
    socketio.run(app, host="127.0.0.1", port=PORT, debug=False)
