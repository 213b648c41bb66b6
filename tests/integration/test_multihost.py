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


"""Two hosts as Linux network namespaces, Redis in one, a call crossing.

The test makes two network namespaces joined by a veth pair (10.231.N.1
is ``ctl1``, 10.231.N.2 is ``cmp1``; each process also gets its own UTS
namespace so its events name its host), starts Debian's redis-server on
ctl1, and serves three paste pipelines with the requestshook filter under
gunicorn: ``api`` and ``auth`` on ctl1, ``backend`` on cmp1.  A client on
ctl1 (``requestshook.enable``) calls api, which calls backend across the
hosts, which calls auth back on ctl1.  Every host writes its own log
(sinks = file, redis://ctl1).

- The flow read from Redis equals the flow read from the hosts' files
  merged (``requestshook merge``), page for page.
- Redis frozen (SIGSTOP), then killed, mid-run: every answer is the same,
  no call waits for Redis (the queue is bounded), drops are reported once
  per process, events reach Redis again once it is back, and the file
  sink holds every event throughout.

Needs root, ``ip netns``, ``unshare`` and redis-server; skips otherwise.
``tox -e multihost`` runs it alone.
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from requestshook import event
from requestshook.reading import sample

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
REDIS_SERVER = shutil.which('redis-server')
IP = shutil.which('ip')
UNSHARE = shutil.which('unshare')
REDIS_PORT = 6390
TOKEN = 'gAAAAAB-multihost-token-secret'
PASSWORD = 'multihost-password-secret'
# A call must never wait for Redis: the redis client's socket timeout is
# 5 s, so a call blocked on a frozen Redis would take at least that.
NEVER_WAITS = 2.5

APPS = textwrap.dedent('''
    import json

    import requests


    def _json(start_response, status, value):
        body = json.dumps(value, sort_keys=True).encode()
        start_response(status, [('Content-Type', 'application/json'),
                                ('Content-Length', str(len(body)))])
        return [body]


    def _read(environ):
        length = int(environ.get('CONTENT_LENGTH') or 0)
        return json.loads(environ['wsgi.input'].read(length) or b'{}')


    def api(global_conf, backend, **local_conf):
        def app(environ, start_response):
            if environ['PATH_INFO'] == '/ready':
                return _json(start_response, '200 OK', {})
            asked = _read(environ)
            answer = requests.post(backend + '/work',
                                   json={'n': asked['n'],
                                         'password': asked['password']})
            return _json(start_response, '200 OK',
                         {'n': asked['n'], 'backend': answer.json()})
        return app


    def backend(global_conf, auth, **local_conf):
        def app(environ, start_response):
            if environ['PATH_INFO'] == '/ready':
                return _json(start_response, '200 OK', {})
            asked = _read(environ)
            check = requests.get(auth + '/v3/auth/tokens',
                                 headers={'X-Auth-Token': '%s'})
            return _json(start_response, '200 OK',
                         {'double': asked['n'] * 2,
                          'auth': check.json()})
        return app


    def auth(global_conf, **local_conf):
        def app(environ, start_response):
            return _json(start_response, '200 OK', {'token': 'valid'})
        return app
''' % TOKEN)

CLIENT = textwrap.dedent('''
    import json
    import sys
    import time

    import requests

    import requestshook

    config_file, url, first, last = sys.argv[1:5]
    requestshook.enable(service_name='client-cli', config_file=config_file)
    results = []
    for n in range(int(first), int(last)):
        started = time.monotonic()
        answer = requests.post(url + '/things',
                               json={'n': n, 'password': sys.argv[5]})
        results.append({'n': n, 'status': answer.status_code,
                        'body': answer.json(),
                        'seconds': time.monotonic() - started,
                        'hop': answer.headers.get(
                            'X-Requestshook-Request-Id')})
    print(json.dumps(results))
''')


def _run(command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True,
                          timeout=30, **kwargs)


class Host(object):
    """One network namespace and its own hostname."""

    def __init__(self, namespace, hostname, address):
        self.namespace = namespace
        self.hostname = hostname
        self.address = address

    def command(self, argv):
        """``argv`` run in this host (network and UTS namespaces)."""
        script = 'hostname %s && exec "$@"' % self.hostname
        return [IP, 'netns', 'exec', self.namespace, UNSHARE, '--uts',
                'sh', '-c', script, 'sh'] + list(argv)

    def start(self, argv, log_path, env):
        stream = open(log_path, 'wb')
        try:
            return subprocess.Popen(self.command(argv), stdout=stream,
                                    stderr=subprocess.STDOUT, env=env)
        finally:
            stream.close()

    def run(self, argv, env, timeout=120):
        return subprocess.run(self.command(argv), env=env,
                              capture_output=True, timeout=timeout)


def _namespaces_available():
    if os.geteuid() != 0:
        return 'needs root (ip netns)'
    if not (IP and UNSHARE):
        return 'needs ip (iproute2) and unshare (util-linux)'
    if not REDIS_SERVER:
        return 'needs redis-server (apt-get install redis-server)'
    try:
        import redis  # noqa: F401
    except ImportError:
        return 'needs the redis package'
    probe = 'rh-probe-%s' % uuid.uuid4().hex[:8]
    try:
        _run([IP, 'netns', 'add', probe])
    except (subprocess.SubprocessError, OSError) as exc:
        return 'cannot make a network namespace: %s' % exc
    subprocess.run([IP, 'netns', 'del', probe], capture_output=True)
    return None


def _wait_port(host, port, process, timeout=60):
    deadline = time.monotonic() + timeout
    check = [sys.executable, '-c',
             'import socket, sys; socket.create_connection('
             '(sys.argv[1], int(sys.argv[2])), 1)', host.address, str(port)]
    while True:
        if process.poll() is not None:
            raise AssertionError('%s:%d exited' % (host.hostname, port))
        if host.run(check, env=os.environ.copy(), timeout=10).returncode \
                == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError('nothing listens on %s:%d'
                                 % (host.address, port))
        time.sleep(0.2)


class Cloud(object):
    """Two hosts, Redis on ctl1, three services, their logs."""

    def __init__(self, folder):
        self.folder = folder
        tag = uuid.uuid4().hex[:6]
        subnet = 10 + int(tag[:2], 16) % 200
        self.ctl = Host('rh-ctl-' + tag, 'ctl1', '10.231.%d.1' % subnet)
        self.cmp = Host('rh-cmp-' + tag, 'cmp1', '10.231.%d.2' % subnet)
        self.veth = ('rhv%s' % tag, 'rhw%s' % tag)
        self.processes = {}
        self.redis = None
        self.redis_url = 'redis://%s:%d/0' % (self.ctl.address, REDIS_PORT)
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith('REQUESTSHOOK_')}
        self.env['PYTHONPATH'] = os.pathsep.join([str(folder), ROOT])
        self.logs = {}
        self.configs = {}

    # -- the network -------------------------------------------------------

    def build_network(self):
        for host in (self.ctl, self.cmp):
            _run([IP, 'netns', 'add', host.namespace])
            _run([IP, '-n', host.namespace, 'link', 'set', 'lo', 'up'])
        _run([IP, 'link', 'add', self.veth[0], 'type', 'veth', 'peer',
              'name', self.veth[1]])
        for host, name in ((self.ctl, self.veth[0]),
                           (self.cmp, self.veth[1])):
            _run([IP, 'link', 'set', name, 'netns', host.namespace])
            _run([IP, '-n', host.namespace, 'addr', 'add',
                  host.address + '/24', 'dev', name])
            _run([IP, '-n', host.namespace, 'link', 'set', name, 'up'])

    # -- the services -------------------------------------------------------

    def start_redis(self):
        self.redis = self.ctl.start(
            [REDIS_SERVER, '--bind', self.ctl.address, '--port',
             str(REDIS_PORT), '--save', '', '--appendonly', 'no',
             '--protected-mode', 'no', '--dir', str(self.folder)],
            str(self.folder / 'redis.out'), self.env)
        _wait_port(self.ctl, REDIS_PORT, self.redis)

    def write_configs(self):
        url_map = ('%s:8001=api,%s:8003=auth,%s:8002=backend'
                   % (self.ctl.address, self.ctl.address,
                      self.cmp.address))
        for host in (self.ctl, self.cmp):
            log = self.folder / ('%s.log' % host.hostname)
            config = self.folder / ('%s.conf' % host.hostname)
            config.write_text(
                '[DEFAULT]\nlog_file = %s\nfilters_file = %s\n'
                'sinks = file, %s\nurl_map = %s\nsink_queue_size = 12\n'
                'sink_flush_timeout = 5\n'
                % (log, self.folder / 'filters.json', self.redis_url,
                   url_map))
            self.logs[host.hostname] = log
            self.configs[host.hostname] = config
        (self.folder / 'filters.json').write_text(
            '[{"urls": ["/ready"]}]')

    def start_service(self, host, name, port, factory, options=''):
        ini = self.folder / ('%s-paste.ini' % name)
        ini.write_text(
            '[pipeline:main]\npipeline = requestshook app\n\n'
            '[filter:requestshook]\n'
            'paste.filter_factory = requestshook.middleware:filter_factory\n'
            'service_name = %s\nconfig_file = %s\n\n'
            '[app:app]\npaste.app_factory = multihost_apps:%s\n%s'
            % (name, self.configs[host.hostname], factory, options))
        process = host.start(
            [sys.executable, '-m', 'gunicorn', '--paste', str(ini), '-b',
             '%s:%d' % (host.address, port), '--workers', '1',
             '--timeout', '60', '--graceful-timeout', '5'],
            str(self.folder / ('%s.out' % name)), self.env)
        self.processes[name] = process
        return process

    def start_services(self):
        (self.folder / 'multihost_apps.py').write_text(APPS)
        auth = self.start_service(self.ctl, 'auth', 8003, 'auth')
        backend = self.start_service(
            self.cmp, 'backend', 8002, 'backend',
            'auth = http://%s:8003\n' % self.ctl.address)
        api = self.start_service(
            self.ctl, 'api', 8001, 'api',
            'backend = http://%s:8002\n' % self.cmp.address)
        _wait_port(self.ctl, 8003, auth)
        _wait_port(self.cmp, 8002, backend)
        _wait_port(self.ctl, 8001, api)

    def call(self, first, last):
        done = self.ctl.run(
            [sys.executable, '-c', CLIENT, str(self.configs['ctl1']),
             'http://%s:8001' % self.ctl.address, str(first), str(last),
             PASSWORD], env=self.env)
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)

    def reader(self, argv):
        """``requestshook ARGV`` on ctl1 (where Redis answers)."""
        done = self.ctl.run([sys.executable, '-m', 'requestshook.cmd.main']
                            + list(argv), env=self.env)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout

    def service_output(self, name):
        return (self.folder / ('%s.out' % name)).read_text(errors='replace')

    # -- the end -----------------------------------------------------------

    def stop(self):
        for process in list(self.processes.values()) + [self.redis]:
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGCONT)
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for host in (self.ctl, self.cmp):
            subprocess.run([IP, 'netns', 'del', host.namespace],
                           capture_output=True)


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    reason = _namespaces_available()
    if reason:
        pytest.skip(reason)
    made = Cloud(tmp_path_factory.mktemp('multihost'))
    try:
        made.build_network()
        made.start_redis()
        made.write_configs()
        made.start_services()
        yield made
    finally:
        made.stop()


def _events(path):
    with open(str(path), 'rb') as stream:
        return [event.decode(line) for line in stream]


def _wait_events(cloud, hops, timeout=20):
    """The files' events once each hop of ``hops`` has 4 of them."""
    deadline = time.monotonic() + timeout
    while True:
        records = _events(cloud.logs['ctl1']) + _events(cloud.logs['cmp1'])
        count = {}
        for record in records:
            count[record['id']] = count.get(record['id'], 0) + 1
        if all(count.get(hop, 0) >= 4 for hop in hops) or \
                time.monotonic() > deadline:
            return records
        time.sleep(0.2)


def _redis_lines(cloud):
    import redis
    done = cloud.ctl.run(
        [sys.executable, '-c',
         'import redis, sys\n'
         'client = redis.Redis.from_url(sys.argv[1])\n'
         'for _id, fields in client.xrange("requestshook"):\n'
         '    sys.stdout.buffer.write(fields[b"event"])\n',
         cloud.redis_url], env=cloud.env)
    assert done.returncode == 0, done.stderr.decode()
    del redis
    return [event.decode(line) for line in done.stdout.splitlines()]


def _trace_tree(records, trace):
    """Every hop of a trace: id -> (parent, from, to, host of each side)."""
    hops = {}
    for record in records:
        if record['trace'] != trace:
            continue
        hop = hops.setdefault(record['id'], {'sides': set()})
        hop['parent'] = record['parent']
        hop['call'] = (record['from'], record['to'], record['method'])
        hop['sides'].add((record['side'], record['event'], record['host']))
    return hops


def _trace_of(cloud, hop):
    for record in _wait_events(cloud, [hop]):
        if record['id'] == hop:
            return record['trace']
    raise AssertionError('hop %s is in no file' % hop)


def test_a_call_crossing_hosts_reads_the_same_from_redis_and_files(cloud):
    answers = cloud.call(0, 3)
    assert [a['body'] for a in answers] == [
        {'n': n, 'backend': {'double': 2 * n, 'auth': {'token': 'valid'}}}
        for n in range(3)]
    records = _wait_events(cloud, [a['hop'] for a in answers])
    # Each host wrote its own log, and named itself.
    assert {r['host'] for r in _events(cloud.logs['cmp1'])} == {'cmp1'}
    assert {r['host'] for r in _events(cloud.logs['ctl1'])} == {'ctl1'}
    trace = next(r['trace'] for r in records
                 if r['id'] == answers[-1]['hop'])
    tree = _trace_tree(records, trace)
    calls = sorted(hop['call'] for hop in tree.values())
    assert calls == [('api', 'backend', 'POST'),
                     ('backend', 'auth', 'GET'),
                     ('client-cli', 'api', 'POST')]
    crossing = [hop for hop in tree.values()
                if hop['call'][:2] == ('api', 'backend')][0]
    assert {host for _, _, host in crossing['sides']} == {'ctl1', 'cmp1'}

    # Redis got the same events (the client flushed its queue at exit).
    deadline = time.monotonic() + 20
    while len(_redis_lines(cloud)) < len(records) and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    in_redis = _redis_lines(cloud)
    key = lambda r: (r['id'], r['side'], r['event'])  # noqa: E731
    assert sorted(map(json.dumps, sorted(in_redis, key=key))) == \
        sorted(map(json.dumps, sorted(records, key=key)))

    merged = cloud.folder / 'merged.log'
    cloud.reader(['merge', str(cloud.logs['ctl1']), str(cloud.logs['cmp1']),
                  '-o', str(merged)])
    source = ['--source', cloud.redis_url]
    for command in (['flows', '--json'], ['diagram', 'last', '--variables'],
                    ['log', 'last'], ['markdown', 'last'], ['har', 'last']):
        from_files = cloud.reader(command + ['--log', str(merged)])
        from_redis = cloud.reader(command + source)
        assert from_redis == from_files, command
    diagram = cloud.reader(['diagram', 'last'] + source).decode()
    assert 'api->>backend: POST /work' in diagram
    assert 'backend->>auth: GET /v3/auth/tokens' in diagram

    # cmp1's clock 30 s off either way (faked in its events): the same
    # diagram of the crossing flow.
    for seconds in (-30, 30):
        shifted = cloud.folder / ('cmp1%+d.log' % seconds)
        shifted.write_bytes(b''.join(
            event.encode(record) for record in sample.shift_clock(
                _events(cloud.logs['cmp1']), 'cmp1', seconds)))
        assert cloud.reader(['diagram', trace, '--log',
                             str(cloud.logs['ctl1']), '--log',
                             str(shifted)]) == \
            cloud.reader(['diagram', trace] + source)
    text = b''.join(event.encode(r) for r in in_redis).decode()
    assert TOKEN not in text and PASSWORD not in text


def test_redis_frozen_then_killed_then_back(cloud):
    before = cloud.call(100, 106)
    expected = [{'n': n, 'backend': {'double': 2 * n,
                                     'auth': {'token': 'valid'}}}
                for n in range(100, 106)]
    assert [a['body'] for a in before] == expected

    # Frozen: connections hang instead of failing.  Then killed.
    cloud.redis.send_signal(signal.SIGSTOP)
    frozen = cloud.call(200, 230)
    cloud.redis.kill()
    cloud.redis.wait()
    killed = cloud.call(300, 330)
    for answers, first in ((frozen, 200), (killed, 300)):
        assert [a['status'] for a in answers] == [200] * 30
        assert [a['body'] for a in answers] == [
            {'n': n, 'backend': {'double': 2 * n,
                                 'auth': {'token': 'valid'}}}
            for n in range(first, first + 30)]
    slowest = max(a['seconds'] for a in frozen + killed)
    print('multihost: per call, median %.1f ms with Redis up, %.1f ms '
          'frozen, %.1f ms killed; slowest while down %.1f ms' % (
              1000 * statistics.median(a['seconds'] for a in before),
              1000 * statistics.median(a['seconds'] for a in frozen),
              1000 * statistics.median(a['seconds'] for a in killed),
              1000 * slowest))
    assert slowest < NEVER_WAITS, (
        'a call waited for Redis: %.2f s (median up %.3f s, down %.3f s)'
        % (slowest, statistics.median(a['seconds'] for a in before),
           statistics.median(a['seconds'] for a in frozen + killed)))

    cloud.start_redis()
    # Events flow to Redis again (it came back empty): a call made once
    # every sender is past its backoff (up to queue.BACKOFF_MAX seconds)
    # has all four of its events there, written by three processes.
    after = []
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        answer = cloud.call(400 + len(after), 401 + len(after))[0]
        after.append(answer)
        assert answer['status'] == 200
        time.sleep(1.0)
        in_redis = [r for r in _redis_lines(cloud)
                    if r['trace'] == _trace_of(cloud, answer['hop'])]
        if len(in_redis) == 12:       # 3 hops x 2 sides x 2 events
            break
    assert len(in_redis) == 12, in_redis

    # The files missed nothing, whatever Redis did.
    everything = before + frozen + killed + after
    records = _wait_events(cloud, [a['hop'] for a in everything])
    by_hop = {}
    for record in records:
        by_hop.setdefault(record['id'], []).append(record)
    for answer in everything:
        assert len(by_hop[answer['hop']]) == 4, answer
    traces = {r['trace'] for answer in everything
              for r in by_hop[answer['hop']]}
    assert len([r for r in records if r['trace'] in traces]) == \
        12 * len(everything)

    # Each service process reported the drops once, and the recovery.
    for name in ('api', 'backend', 'auth'):
        output = cloud.service_output(name)
        assert output.count('drops events for redis') == 1, (name, output)
        assert output.count('cannot send events to redis') == 1, output
        assert output.count('sends events to redis') == 1, (name, output)
