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


"""The filter and the hook under eventlet, as swift and nova run.

In one monkey-patched process, eventlet.wsgi serves A and B with the
filter; A calls B three times while it runs and twice while its response
streams, yielding to other greenthreads in between; 20 clients call A at
once.  Each of A's hops must be the parent of exactly its own five calls
(the current hop is per greenthread), and the responses must be the same
as without the filter.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from tests.integration import servers

pytest.importorskip('eventlet')

SCRIPT = textwrap.dedent('''
    import eventlet
    eventlet.monkey_patch()

    import json
    import logging
    import sys

    import eventlet.wsgi
    import requests

    from requestshook.capture import middleware

    log_file, hooked = sys.argv[1], sys.argv[2] == 'hooked'
    CLIENTS, CALLS_IN_APP, CALLS_IN_STREAM = 20, 3, 2
    # An empty requestshook.conf: a named file must exist (fail closed).
    conf = {'config_file': '/dev/null', 'log_file': log_file,
            'filters_file': '/nonexistent'}


    def backend(environ, start_response):
        eventlet.sleep(0.001)
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'b']


    def front(environ, start_response):
        for _ in range(CALLS_IN_APP):
            requests.get(backend_url).content
            eventlet.sleep(0)
        start_response('200 OK', [('Content-Type', 'text/plain')])

        def stream():
            for _ in range(CALLS_IN_STREAM):
                yield requests.get(backend_url).content
                eventlet.sleep(0)
        return stream()


    def serve(app, name):
        if hooked:
            app = middleware.RequestsHook(app, dict(conf, service_name=name))
        sock = eventlet.listen(('127.0.0.1', 0))
        quiet = logging.getLogger('quiet')
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
        eventlet.spawn(eventlet.wsgi.server, sock, app, log=quiet)
        return 'http://127.0.0.1:%d' % sock.getsockname()[1]


    backend_url = serve(backend, 'svc-b') + '/b'
    front_url = serve(front, 'svc-a') + '/a'


    def call(number):
        response = requests.get(front_url)
        return [response.status_code, response.text,
                response.headers.get('X-Requestshook-Request-Id'),
                sorted(k for k in response.headers
                       if k.lower() not in ('date', 'x-requestshook-'
                                            'request-id',
                                            'x-requestshook-request-from'))]


    pool = eventlet.GreenPool()
    print(json.dumps(list(pool.imap(call, range(CLIENTS)))))
''')


def _run(tmp_path, mode):
    log_file = tmp_path / ('%s.log' % mode)
    done = subprocess.run(
        [sys.executable, '-W', 'ignore', '-c', SCRIPT, str(log_file), mode],
        env=servers.clean_environment(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout), log_file


def test_each_greenthread_keeps_its_own_hop(tmp_path):
    plain, _ = _run(tmp_path, 'plain')
    hooked, log_file = _run(tmp_path, 'hooked')
    assert [r[:2] + r[3:] for r in hooked] == [r[:2] + r[3:] for r in plain]
    assert all(r[1] == 'bb' for r in hooked)

    events = servers.read_events(log_file)
    a_hops = {e['id']: e for e in events if e['side'] == 'server'
              and e['to'] == 'svc-a' and e['event'] == 'request'}
    assert set(a_hops) == {r[2] for r in hooked}
    calls = [e for e in events if e['side'] == 'client'
             and e['from'] == 'svc-a' and e['event'] == 'request']
    for hop_id, hop in a_hops.items():
        children = [e for e in calls if e['parent'] == hop_id]
        assert len(children) == 5
        assert {e['trace'] for e in children} == {hop['trace']}
    assert len(calls) == 5 * len(a_hops)
    closing = [e for e in events if e['event'] != 'request']
    assert {e['event'] for e in closing} == {'response'}
