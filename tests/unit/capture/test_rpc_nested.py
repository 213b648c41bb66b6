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


"""What an endpoint does is the RPC hop's child: HTTP, RPC, nova's threads.

The eventlet executor runs in a child process, monkey-patched as nova's
eventlet services were.
"""

import http.server
import importlib
import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest
import requests

from requestshook.capture import context
from requestshook.capture import rpc
from tests.unit.capture import rpc_fixtures as fx
from tests.unit.capture.rpc_fixtures import rec_fixture  # noqa: F401
from tests.unit.capture.rpc_fixtures import transport_fixture  # noqa: F401

messaging = pytest.importorskip('oslo_messaging')

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


class Placement(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        payload = b'{"allocation_requests": []}'
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def placement():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Placement)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def test_an_http_call_from_an_endpoint_is_the_hops_child(
        rec, transport, placement):
    class Scheduler(object):
        def select_destinations(self, ctxt, spec):
            with requests.Session() as session:
                return session.get(placement + '/allocation_candidates',
                                   timeout=30).json()

    with fx.serving(transport, [Scheduler()], topic='scheduler'):
        fx.client(transport, topic='scheduler').call(
            {}, 'select_destinations', spec={})
        fx.wait_for(lambda: len(rec.events) == 6)
    rpc_request = rec.events[0]
    http_events = [e for e in rec.events if 'proto' not in e]
    assert [(e['side'], e['event']) for e in http_events] == [
        ('client', 'request'), ('client', 'response')]
    for one in http_events:
        assert one['parent'] == rpc_request['id']
        assert one['trace'] == rpc_request['trace']
        assert one['from'] == fx.OWN_NAME
        assert one['url'].endswith('/allocation_candidates')


def test_an_rpc_from_an_endpoint_is_the_hops_child(rec, transport):
    class Scheduler(object):
        def select_destinations(self, ctxt):
            return ['host1']

    class Conductor(object):
        def build_instances(self, ctxt):
            fx.client(transport, topic='scheduler').call(
                ctxt, 'select_destinations')

    with fx.serving(transport, [Scheduler()], topic='scheduler'), \
            fx.serving(transport, [Conductor()]):
        fx.client(transport).cast({}, 'build_instances')
        fx.wait_for(lambda: len(rec.events) == 7)
    cast = rec.events[0]
    assert cast['url'] == 'rpc://nova/conductor/build_instances'
    children = [e for e in rec.events
                if e['url'] == 'rpc://nova/scheduler/select_destinations']
    assert len(children) == 4
    for one in children:
        assert one['parent'] == cast['id']
        assert one['trace'] == cast['trace']
        assert one['id'] != cast['id']
    assert children[0]['to'] == 'nova-scheduler'


NOVA_POOL = '''
import concurrent.futures

_executor = concurrent.futures.ThreadPoolExecutor(2)


def spawn_on(executor_type, func, *args, **kwargs):
    return _executor.submit(func, *args, **kwargs)
'''

OLD_NOVA_UTILS = '''
import threading


def spawn(func, *args, **kwargs):
    thread = threading.Thread(target=func, args=args, kwargs=kwargs)
    thread.start()
    return thread


spawn_n = spawn
'''


@pytest.fixture
def fake_nova(tmp_path, monkeypatch):
    """A ``nova`` package with nova's thread hand-over points."""
    package = tmp_path / 'nova'
    package.mkdir()
    (package / '__init__.py').write_text('')
    (package / 'thread_pool_factory.py').write_text(NOVA_POOL)
    (package / 'utils.py').write_text(OLD_NOVA_UTILS)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ('nova', 'nova.thread_pool_factory', 'nova.utils'):
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield
    for name in ('nova', 'nova.thread_pool_factory', 'nova.utils'):
        sys.modules.pop(name, None)


def test_nova_threads_started_by_an_endpoint_keep_the_hop(
        rec, transport, fake_nova):
    pool = importlib.import_module('nova.thread_pool_factory')
    utils = importlib.import_module('nova.utils')
    seen = {}

    def note(name):
        seen[name] = context.current()

    class Compute(object):
        def build_and_run_instance(self, ctxt):
            pool.spawn_on('default', note, 'spawn_on').result()
            fx.unhooked(pool, 'spawn_on')('default', note,
                                          'plain').result()
            utils.spawn(note, 'spawn').join()
            utils.spawn_n(note, 'spawn_n').join()

    with fx.serving(transport, [Compute()], topic='compute'):
        fx.client(transport, topic='compute').call(
            {}, 'build_and_run_instance')
    hop_id = rec.events[0]['id']
    assert seen['spawn_on'].hop_id == hop_id
    assert seen['spawn'].hop_id == hop_id
    assert seen['spawn_n'].hop_id == hop_id
    # Without the hook the thread would have had no hop.
    assert seen['plain'] is None


EVENTLET_SERVER = textwrap.dedent('''
    import eventlet
    eventlet.monkey_patch()
    import json
    import warnings
    warnings.simplefilter('ignore')

    import oslo_messaging as messaging
    from oslo_config import cfg

    from requestshook.capture import context
    from requestshook.capture import outbound
    from requestshook.capture import rpc
    from tests.unit import fake_recorder

    recorder = fake_recorder.FakeRecorder(max_body_bytes=4096)
    outbound._settings.recorder = recorder
    outbound._settings.service_name = 'green'
    rpc.install()
    seen = []

    class Conductor(object):
        def build(self, ctxt, n):
            eventlet.sleep(0.01)
            seen.append(context.current().hop_id)
            return n

    transport = messaging.get_rpc_transport(cfg.CONF, url='fake:///')
    target = messaging.Target(exchange='nova', topic='conductor',
                              server='h')
    try:
        server = messaging.get_rpc_server(transport, target, [Conductor()],
                                          executor='eventlet')
    except Exception as exc:     # a later oslo.messaging without it
        print(json.dumps({'skip': '%s: %s' % (type(exc).__name__, exc)}))
        raise SystemExit(0)
    server.start()
    client = messaging.get_rpc_client(
        transport, messaging.Target(exchange='nova', topic='conductor'))
    pool = eventlet.GreenPool()
    results = list(pool.imap(lambda n: client.call({}, 'build', n=n),
                             range(4)))
    server.stop()
    server.wait()
    print(json.dumps({'results': results, 'seen': seen,
                      'events': recorder.events}))
''')


def test_the_eventlet_executor():
    environment = dict(os.environ, PYTHONPATH=REPO)
    environment.pop('REQUESTSHOOK_ENABLE', None)
    done = subprocess.run([sys.executable, '-c', EVENTLET_SERVER],
                          capture_output=True, text=True, cwd=REPO,
                          env=environment, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if 'skip' in report:
        pytest.skip('no eventlet executor: %s' % report['skip'])
    assert report['results'] == [0, 1, 2, 3]
    events = report['events']
    assert len(events) == 16
    by_id = {}
    for one in events:
        assert one['proto'] == rpc.PROTO
        by_id.setdefault(one['id'], []).append(
            (one['side'], one['event']))
    assert len(by_id) == 4
    for kinds in by_id.values():
        assert sorted(kinds) == [('client', 'request'), ('client', 'response'),
                                 ('server', 'request'), ('server', 'response')]
    # Four greenthreads served at once, each saw its own hop.
    assert sorted(report['seen']) == sorted(by_id)
