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

"""``requestshook record -- python -c ...`` against a server with the
filter, both in their own processes, both writing one log."""

import os
import re
import subprocess
import sys
import textwrap

import pytest

from requestshook import event

SERVER = textwrap.dedent("""
    import sys
    import wsgiref.simple_server

    from paste.deploy import loadapp


    class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
        def log_message(self, *args):
            pass


    def factory(global_conf, **local_conf):
        def app(environ, start_response):
            start_response('200 OK', [('Content-Type', 'application/json')])
            return [b'{"pong": true}']
        return app


    application = loadapp('config:' + sys.argv[1])
    server = wsgiref.simple_server.make_server(
        '127.0.0.1', 0, application, handler_class=QuietHandler)
    print(server.server_port, flush=True)
    server.serve_forever()
""")

PASTE = textwrap.dedent("""
    [pipeline:main]
    pipeline = app

    [app:app]
    paste.app_factory = __main__:factory
""")

CLIENT = textwrap.dedent("""
    import sys
    import requests
    response = requests.get(sys.argv[1])
    print(response.json()['pong'],
          response.headers.get('X-Requestshook-Request-Id'))
""")


def _requestshook(*argv, **kwargs):
    return subprocess.run(
        [sys.executable, '-m', 'requestshook.cmd.main'] + list(argv),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
        **kwargs)


def _environment(**extra):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('REQUESTSHOOK_')}
    env.update(extra)
    return env


@pytest.fixture
def server(tmp_path):
    """A wsgiref server whose paste file got the filter from the tool."""
    log = tmp_path / 'requestshook.log'
    config = tmp_path / 'requestshook.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\n' % log)
    paste = tmp_path / 'echo-api-paste.ini'
    paste.write_text(PASTE)
    inserted = _requestshook('paste', 'insert', '--no-backup', str(paste))
    assert inserted.returncode == 0, inserted.stderr
    script = tmp_path / 'server.py'
    script.write_text(SERVER)
    process = subprocess.Popen(
        [sys.executable, str(script), str(paste)], stdout=subprocess.PIPE,
        env=_environment(REQUESTSHOOK_CONFIG=str(config)))
    try:
        port = int(process.stdout.readline())
        yield {'url': 'http://127.0.0.1:%d/ping' % port, 'log': log,
               'config': config, 'tmp': tmp_path}
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def _events(log, trace):
    with open(str(log), 'rb') as stream:
        events = [event.decode(line) for line in stream]
    return [found for found in events if found['trace'] == trace]


def _trace(stderr):
    match = re.search(r'requestshook: trace ([0-9a-f]{32}): (\d+) call',
                      stderr)
    assert match, stderr
    return match.group(1), int(match.group(2))


def test_record_links_client_and_server_in_one_flow(server):
    result = _requestshook(
        'record', '--log', str(server['log']), '--',
        sys.executable, '-c', CLIENT, server['url'],
        env=_environment(REQUESTSHOOK_CONFIG=str(server['config'])))
    stderr = result.stderr.decode('utf-8')
    assert result.returncode == 0, stderr
    trace, calls = _trace(stderr)
    assert calls == 1
    pong, echoed_id = result.stdout.decode('utf-8').split()
    assert pong == 'True'

    events = _events(server['log'], trace)
    by_side = {}
    for found in events:
        by_side.setdefault(found['side'], []).append(found)
    assert sorted(by_side) == ['client', 'server']
    for side in ('client', 'server'):
        kinds = [found['event'] for found in by_side[side]]
        assert kinds == ['request', 'response'], side
        for found in by_side[side]:
            assert found['id'] == echoed_id
            assert found['from'] == 'python'
            assert found['method'] == 'GET'
        assert by_side[side][1]['status'] == 200
    assert by_side['server'][0]['to'] == 'echo-api'
    assert by_side['server'][1]['body']['data'] == {'pong': True}
    # Two processes wrote them.
    assert by_side['client'][0]['pid'] != by_side['server'][0]['pid']
    assert 'requestshook diagram %s --log %s' % (
        trace, server['log']) in stderr

    diagram = _requestshook('diagram', trace, '--log', str(server['log']))
    assert diagram.returncode == 0, diagram.stderr
    text = diagram.stdout.decode('utf-8')
    assert 'sequenceDiagram' in text and 'echo-api' in text


def test_record_passes_exit_status_and_names_caller(server):
    result = _requestshook(
        'record', '--log', str(server['log']), '--name', 'openstack', '--',
        sys.executable, '-c',
        'import sys, requests; requests.get(sys.argv[1]); sys.exit(3)',
        server['url'],
        env=_environment(REQUESTSHOOK_CONFIG=str(server['config'])))
    assert result.returncode == 3
    trace, calls = _trace(result.stderr.decode('utf-8'))
    assert calls == 1
    assert {found['from'] for found in _events(server['log'], trace)} == {
        'openstack'}


def test_record_writes_doc_pages(server):
    pages = server['tmp'] / 'pages'
    result = _requestshook(
        'record', '--log', str(server['log']), '--doc', str(pages), '--',
        sys.executable, '-c', CLIENT, server['url'],
        env=_environment(REQUESTSHOOK_CONFIG=str(server['config'])))
    stderr = result.stderr.decode('utf-8')
    assert result.returncode == 0, stderr
    assert 'pages written into %s' % pages in stderr
    written = sorted(os.listdir(str(pages)))
    assert written
    text = ''.join((pages / name).read_text() for name in written
                   if name.endswith('.md'))
    assert 'echo-api' in text


def test_record_without_calls_says_so(tmp_path):
    log = tmp_path / 'rh.log'
    result = _requestshook(
        'record', '--log', str(log), '--', sys.executable, '-c', 'pass',
        env=_environment(REQUESTSHOOK_CONFIG=str(tmp_path / 'none.conf')))
    assert result.returncode == 0
    stderr = result.stderr.decode('utf-8')
    assert _trace(stderr)[1] == 0
    assert 'nothing recorded' in stderr


def test_record_of_missing_command_is_127(tmp_path):
    result = _requestshook(
        'record', '--log', str(tmp_path / 'rh.log'), '--',
        str(tmp_path / 'no-such-command'))
    assert result.returncode == 127


def test_record_uses_the_users_log_when_the_configured_one_is_not_ours(
        tmp_path):
    blocker = tmp_path / 'a-file'
    blocker.write_text('')
    config = tmp_path / 'rh.conf'
    config.write_text('[DEFAULT]\nlog_file = %s/logs/requestshook.log\n'
                      % blocker)
    state = tmp_path / 'state'
    result = _requestshook(
        'record', '--config', str(config), '--', sys.executable, '-c',
        'pass', env=_environment(XDG_STATE_HOME=str(state)))
    stderr = result.stderr.decode('utf-8')
    assert 'is not writable' in stderr
    assert 'log: %s/requestshook/requestshook.log' % state in stderr


def test_help_lists_record():
    result = _requestshook('record', '--help')
    assert result.returncode == 0
    assert b'-- COMMAND' in result.stdout
