# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""What every benchmark shares: servers, load generation, figures.

Servers (gunicorn, redis) bind 127.0.0.1 on a free port and are stopped
when their ``with`` block ends, also on failure.
"""

import collections
import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import psutil

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
WRK = shutil.which('wrk')
REDIS_SERVER = shutil.which('redis-server')


def uwsgi_binary():
    """uwsgi next to this Python (pip's uWSGI), else on PATH, else None."""
    here = os.path.join(os.path.dirname(sys.executable), 'uwsgi')
    return here if os.access(here, os.X_OK) else shutil.which('uwsgi')


# One line of the final table.  ``value`` is a number (or None when it
# could not be measured); ``goal`` is text such as "<= 2" and ``met`` is
# True/False/None (no goal).
Row = collections.namedtuple(
    'Row', 'section name value unit goal met note')


def row(section, name, value, unit, goal='', met=None, note=''):
    return Row(section, name, value, unit, goal, met, note)


def median(values):
    return statistics.median(values) if values else None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError('server exited with %s before listening'
                               % process.returncode)
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('nothing listens on 127.0.0.1:%d' % port)


def stop_process(process, timeout=15.0):
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def python_env(**extra):
    """The environment for a child Python that imports benchmarks/*."""
    env = dict(os.environ)
    paths = [BENCH_DIR] + [p for p in env.get('PYTHONPATH', '').split(
        os.pathsep) if p]
    env['PYTHONPATH'] = os.pathsep.join(paths)
    env.update({key: str(value) for key, value in extra.items()})
    return env


@contextlib.contextmanager
def redis_server():
    """A private redis-server on 127.0.0.1; yields its ``redis://`` URL."""
    if not REDIS_SERVER:
        raise RuntimeError('redis-server is not installed')
    port = free_port()
    workdir = tempfile.mkdtemp(prefix='bench-redis-')
    process = subprocess.Popen(
        [REDIS_SERVER, '--bind', '127.0.0.1', '--port', str(port),
         '--save', '', '--appendonly', 'no', '--dir', workdir,
         '--protected-mode', 'yes'],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield 'redis://127.0.0.1:%d/0' % port
    finally:
        stop_process(process)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def otlp_receiver(cpu=None):
    """A local OTLP/HTTP receiver (``otlp_receiver.py``) in its own process.

    Yields its base URL; sets ``wrappers.OTLP_URL`` for the OTel variants.
    ``cpu``: the one CPU it runs on.
    """
    import wrappers
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, os.path.join(BENCH_DIR, 'otlp_receiver.py'),
         str(port)], env=python_env())
    try:
        if cpu is not None:
            os.sched_setaffinity(process.pid, {cpu})
        wait_for_port(port, process)
        wrappers.OTLP_URL = 'http://127.0.0.1:%d' % port
        yield wrappers.OTLP_URL
    finally:
        wrappers.OTLP_URL = None
        stop_process(process)


class Server(object):
    """One WSGI server (one worker) on 127.0.0.1; a context manager.

    The application is ``wsgi_app.application``, built by
    ``wrappers.pipeline_from_env`` from ``env`` (``BENCH_*`` variables).
    """

    def __init__(self, env=None):
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.env = python_env(**(env or {}))
        self.process = None

    def command(self):
        raise NotImplementedError

    def __enter__(self):
        self.process = subprocess.Popen(self.command(), env=self.env,
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.port, self.process)
        except Exception:
            stop_process(self.process)
            raise
        return self

    def __exit__(self, *exc_info):
        stop_process(self.process)

    def worker(self):
        """The psutil.Process of the one worker."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            children = psutil.Process(self.process.pid).children()
            if children:
                return children[0]
            time.sleep(0.05)
        raise RuntimeError('%s started no worker' % type(self).__name__)


class Gunicorn(Server):
    """gunicorn, one worker of ``worker_class``."""

    def __init__(self, env=None, worker_class='sync', threads=1,
                 timeout=300):
        super(Gunicorn, self).__init__(env)
        self.worker_class = worker_class
        self.threads = threads
        self.timeout = timeout

    def command(self):
        return [sys.executable, '-m', 'gunicorn', '--bind',
                '127.0.0.1:%d' % self.port, '--workers', '1',
                '--worker-class', self.worker_class,
                '--threads', str(self.threads),
                '--timeout', str(self.timeout), '--backlog', '64',
                '--log-level', 'warning', '--chdir', BENCH_DIR,
                'wsgi_app:application']


class Uwsgi(Server):
    """uwsgi as devstack runs the API services: master, one process."""

    def command(self):
        return [uwsgi_binary(), '--http-socket', '127.0.0.1:%d' % self.port,
                '--master', '--processes', '1', '--die-on-term',
                '--need-app', '--disable-logging', '--home', sys.prefix,
                '--pythonpath', BENCH_DIR, '--module',
                'wsgi_app:application']


def peak_rss(process):
    """Peak resident set (VmHWM) of a psutil.Process, in bytes."""
    with open('/proc/%d/status' % process.pid) as status:
        for line in status:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) * 1024
    raise RuntimeError('no VmHWM for pid %d' % process.pid)


def own_peak_rss():
    """Peak resident set of this process, in bytes."""
    return peak_rss(psutil.Process())


_WRK_SCRIPT = """\
wrk.method = "POST"
wrk.body = %(body)s
%(headers)s
"""


def _lua_string(text):
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')


def wrk_post(url, body, headers, seconds, connections=2):
    """Run wrk (one thread) POSTing ``body``; return (requests, seconds).

    Raises when wrk saw socket errors or non-2xx answers: a figure from
    failing requests would be meaningless.
    """
    lines = ['wrk.headers[%s] = %s' % (_lua_string(name), _lua_string(value))
             for name, value in headers.items()]
    with tempfile.NamedTemporaryFile('w', suffix='.lua') as script:
        script.write(_WRK_SCRIPT % {'body': _lua_string(body.decode()),
                                    'headers': '\n'.join(lines)})
        script.flush()
        output = subprocess.run(
            [WRK, '-t1', '-c%d' % connections, '-d%ds' % seconds,
             '-s', script.name, url],
            check=True, capture_output=True, text=True).stdout
    if 'Non-2xx' in output or re.search(r'Socket errors:.*(read|write|'
                                        r'timeout) [1-9]', output):
        raise RuntimeError('wrk saw failures:\n' + output)
    found = re.search(r'([0-9]+) requests in ([0-9.]+)(m?s)', output)
    if not found:
        raise RuntimeError('no request count in wrk output:\n' + output)
    elapsed = float(found.group(2)) / (1000 if found.group(3) == 'ms' else 1)
    return int(found.group(1)), elapsed


def python_post(url, body, headers, seconds):
    """The same as wrk_post with http.client (slower)."""
    import http.client
    import urllib.parse
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers, **{'Content-Length': str(len(body))})
    count = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        connection = http.client.HTTPConnection(parts.hostname, parts.port)
        connection.request('POST', parts.path or '/', body, headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status >= 300:
            raise RuntimeError('HTTP %d from %s' % (response.status, url))
        count += 1
    return count, time.perf_counter() - started


def cpu_seconds(process):
    """User + system CPU seconds a psutil.Process has used."""
    times = process.cpu_times()
    return times.user + times.system


def load_average():
    return '%.2f/%.2f/%.2f' % os.getloadavg()


def machine():
    model = platform.processor() or 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return '%s, %d cores, %s, Python %s' % (
        model, os.cpu_count() or 0, platform.platform(terse=True),
        platform.python_version())


def interleaved(variants, rounds):
    """(round, variant) pairs, variants interleaved round by round.

    Interleaving spreads a burst of load from other processes over every
    variant instead of spoiling one.  Each round starts one variant further
    on, so no variant always runs right after the same one (a fixed order
    gave the disabled outbound hook 40 us of client CPU it does not cost).
    """
    variants = list(variants)
    for number in range(rounds):
        start = number % len(variants) if variants else 0
        for variant in variants[start:] + variants[:start]:
            yield number, variant
