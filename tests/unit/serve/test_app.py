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

"""The server's handlers, through HTTP, on 127.0.0.1."""

import http.client
import json
import socket
import time
import urllib.parse

import pytest

from requestshook import event
from requestshook.reading import index
from requestshook.reading import sample
from requestshook.reading import source
from requestshook.render import doc
from requestshook.render import har
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module
from requestshook.serve import access as access_module
from requestshook.serve import app
from requestshook.serve import feeds


def _log(tmp_path):
    log = sample.image_create()
    sample.image_list(log)
    root = sample.Command()
    with log.call('openstack', 'glance-api', 'GET',
                  sample.GLANCE + '/v2/images/x/file', status=503,
                  parent=root):
        pass
    path = tmp_path / 'rh.log'
    log.write(str(path))
    return path, log


def _start(path, access=None, **kwargs):
    access = access or access_module.Access('127.0.0.1', 0)
    server = app.start(feeds.FileFeed([str(path)]), access, **kwargs)
    deadline = time.monotonic() + 10
    while server.catalog.progress['indexing']:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return server


@pytest.fixture
def served(tmp_path):
    path, log = _log(tmp_path)
    server = _start(path)
    yield server, path, log
    server.stop()


def _get(server, url, headers=None, method='GET'):
    connection = http.client.HTTPConnection('127.0.0.1',
                                            server.server_address[1],
                                            timeout=10)
    try:
        connection.request(method, url, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), \
            response.read()
    finally:
        connection.close()


def _json(server, url):
    status, _headers, body = _get(server, url)
    return status, json.loads(body)


def _cli_flow(path, spec):
    flow, _summaries = index.load_flow(source.LogSource([str(path)]), spec)
    return flow


def test_list_is_newest_first_with_what_the_table_shows(served):
    server, path, _log = served
    status, data = _json(server, '/api/flows')
    assert status == 200
    assert data['total'] == data['matched'] == 3
    assert data['progress']['indexing'] is False
    summaries = index.scan(source.LogSource([str(path)]))
    by_start = sorted(summaries, key=lambda s: (s.start_ts, s.index),
                      reverse=True)
    assert [row['key'] for row in data['flows']] == \
        [s.key for s in by_start]
    first = [row for row in data['flows'] if row['index'] == 1][0]
    assert first['root'] == 'openstack: POST /image/v2/images'
    assert first['calls'] == 11
    assert first['services'] == ['openstack', 'keystone', 'glance-api',
                                 'swift-proxy-server']
    assert first['statuses'] == [200, 201, 204, 300]
    assert first['errors'] == 0


@pytest.mark.parametrize('query,roots', [
    ('service=SWIFT', ['openstack: POST /image/v2/images']),
    ('path=/x/file', ['openstack: GET /image/v2/images/x/file']),
    ('status=5xx', ['openstack: GET /image/v2/images/x/file']),
    ('status=error', ['openstack: GET /image/v2/images/x/file']),
    ('status=204', ['openstack: POST /image/v2/images']),
    ('service=glance&status=300', ['openstack: GET /image/v2/images',
                                   'openstack: POST /image/v2/images']),
    ('service=nova', []),
])
def test_filters(served, query, roots):
    server, _path, _log = served
    _status, data = _json(server, '/api/flows?' + query)
    assert sorted(row['root'] for row in data['flows']) == sorted(roots)
    assert data['matched'] == len(roots)


def test_limit(served):
    server, _path, _log = served
    _status, data = _json(server, '/api/flows?limit=1')
    assert len(data['flows']) == 1 and data['matched'] == 3
    _status, data = _json(server, '/api/flows?limit=x')
    assert len(data['flows']) == 3


def test_filter_by_trace_prefix(served):
    server, path, _log = served
    key = _cli_flow(path, '2').key
    _status, data = _json(server, '/api/flows?trace=' + key[:6].upper())
    assert [row['key'] for row in data['flows']] == [key]


def test_flow_page_is_what_the_command_line_draws(served):
    server, path, _log = served
    flow = _cli_flow(path, '1')
    status, data = _json(server, '/api/flows/' + flow.key)
    assert status == 200
    sequence = sequence_module.Sequence(flow)
    names = mermaid.placeholders_for(sequence)
    assert data['diagram'] == mermaid.render(sequence, None, names)
    assert [s['title'] for s in data['steps']] == \
        [mermaid.message_label(a, names) for a in sequence.arrows]
    assert data['variables'] == [[k, v] for k, v in names.values.items()]
    assert data['index'] == 1 and data['calls'] == 11
    # Each step holds its request and response bodies.
    create = data['steps'][4]
    assert create['title'] == 'POST /image/v2/images'
    assert '"cirros-0.6.1-x86_64-disk"' in create['request']['body']
    assert '"queued"' in create['response']['body']


def test_downloads_are_the_har_and_doc_s_index_page(served):
    server, path, _log = served
    flow = _cli_flow(path, '2')
    status, headers, body = _get(server, '/api/flows/%s/har' % flow.key)
    assert status == 200
    assert headers['Content-Disposition'] == \
        'attachment; filename="flow-2-%s.har"' % flow.key[:12]
    sequence = sequence_module.Sequence(flow)
    assert json.loads(body) == json.loads(har.render(sequence))
    status, headers, body = _get(server,
                                 '/api/flows/%s/markdown' % flow.key)
    assert status == 200
    assert headers['Content-Type'].startswith('text/markdown')
    assert body.decode('utf-8') == doc.index_page(
        sequence, flow.root_call,
        placeholders=mermaid.placeholders_for(sequence))


def test_find_by_request_id(served):
    server, path, log = served
    flow = _cli_flow(path, '2')
    request_id = [value for record in log.events
                  if record['trace'] == flow.key
                  for name, value in record.get('headers') or ()
                  if name == 'X-Openstack-Request-Id'][-1]
    status, data = _json(server, '/api/find?request_id=' +
                         urllib.parse.quote(request_id))
    assert status == 200 and data == {'key': flow.key, 'index': 2}
    status, data = _json(server, '/api/find?request_id=req-none')
    assert status == 404 and 'req-none' in data['error']
    key = _cli_flow(path, '1').key
    assert _json(server, '/api/find?request_id=' + key[:10]) == (
        200, {'key': key, 'index': 1})


def test_unknown_flow_and_page_are_404(served):
    server, _path, _log = served
    assert _get(server, '/api/flows/ffff')[0] == 404
    assert _get(server, '/nothing')[0] == 404
    assert _get(server, '/static/../app.py')[0] == 404


def test_read_only(served):
    server, _path, _log = served
    assert _get(server, '/api/flows', method='POST')[0] == 405
    assert _get(server, '/api/flows', method='DELETE')[0] == 405


def test_page_and_scripts_are_served_with_a_strict_policy(served):
    server, _path, _log = served
    status, headers, body = _get(server, '/')
    assert status == 200
    assert "script-src 'self'" in headers['Content-Security-Policy']
    assert b'/static/serve.js' in body and b'/static/mermaid.min.js' in body
    for name in ('serve.js', 'serve.css', 'mermaid.min.js'):
        status, _headers, body = _get(server, '/static/' + name)
        assert status == 200 and body
    # No CDN: every script the page loads is its own.
    assert b'https://' not in _get(server, '/')[2]


def test_a_foreign_host_header_is_refused_without_token(served):
    server, _path, _log = served
    port = server.server_address[1]
    assert _get(server, '/api/flows',
                {'Host': 'localhost:%d' % port})[0] == 200
    assert _get(server, '/api/flows',
                {'Host': 'attacker.example:%d' % port})[0] == 401


def _events(server, query=''):
    sock = socket.create_connection(('127.0.0.1', server.server_address[1]),
                                    timeout=10)
    sock.sendall(('GET /events%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'
                  % query).encode())
    return sock


def _read_until(sock, needle):
    data = b''
    while needle not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return data


def test_new_events_in_the_log_reach_the_list_and_the_event_stream(served):
    server, path, _log = served
    sock = _events(server)
    try:
        hello = _read_until(sock, b'event: hello')
        assert b'text/event-stream' in hello
        later = sample.image_list(sample.LogMaker(start=1700000900.0))
        with open(path, 'ab') as stream:
            stream.write(later.lines())
        data = _read_until(sock, b'event: changed')
        data += _read_until(sock, b'\n\n') if not data.endswith(
            b'\n\n') else b''
    finally:
        sock.close()
    new_key = later.events[0]['trace']
    assert new_key.encode() in data
    status, listing = _json(server, '/api/flows')
    assert listing['total'] == 4
    assert listing['flows'][0]['key'] == new_key


def _token_server(tmp_path, host):
    path, _unused = _log(tmp_path)
    policy = access_module.Access.for_bind(host, 0)
    # Listen on loopback all the same: the test must not open a port to
    # the network; the policy is the one of the address asked for.
    policy.host = '127.0.0.1'
    return _start(path, policy), policy


def test_non_loopback_bind_without_token_is_refused(tmp_path):
    server, policy = _token_server(tmp_path, '0.0.0.0')
    try:
        assert policy.generated and len(policy.token) >= 32
        for url in ('/', '/api/flows', '/events', '/static/serve.js',
                    '/api/flows?token=wrong'):
            status, _headers, body = _get(server, url)
            assert status == 401, url
            assert b'token' in body
        status, _headers, _body = _get(server, '/api/flows', {
            'Authorization': 'Bearer ' + policy.token})
        assert status == 200
    finally:
        server.stop()


def test_loopback_bind_without_the_token_is_refused(tmp_path):
    # Any local user can reach 127.0.0.1: the log is not theirs to read.
    server, policy = _token_server(tmp_path, '127.0.0.1')
    try:
        assert policy.generated and len(policy.token) >= 32
        port = server.server_address[1]
        for url in ('/', '/api/flows', '/events', '/api/flows?token=x'):
            assert _get(server, url, {
                'Host': '127.0.0.1:%d' % port})[0] == 401, url
        assert _get(server, '/api/flows', {
            'Authorization': 'Bearer ' + policy.token})[0] == 200
    finally:
        server.stop()


def test_no_token_on_loopback_serves_without_one(tmp_path):
    path, _unused = _log(tmp_path)
    policy = access_module.Access.for_bind('127.0.0.1', 0, no_token=True)
    server = _start(path, policy)
    try:
        assert _get(server, '/api/flows')[0] == 200
    finally:
        server.stop()


def test_token_in_the_address_becomes_a_cookie(tmp_path):
    server, policy = _token_server(tmp_path, '192.0.2.10')
    try:
        status, headers, _body = _get(server, '/?token=' + policy.token)
        assert status == 303 and headers['Location'] == '/'
        cookie = headers['Set-Cookie']
        assert 'HttpOnly' in cookie and 'SameSite=Strict' in cookie
        pair = cookie.split(';')[0]
        assert _get(server, '/api/flows', {'Cookie': pair})[0] == 200
        assert _get(server, '/api/flows', {
            'Cookie': 'requestshook_token=wrong'})[0] == 401
    finally:
        server.stop()


def test_logrotate_is_followed_and_old_flows_still_open(tmp_path):
    path, log = _log(tmp_path)
    server = _start(path)
    try:
        old_key = log.events[0]['trace']
        # logrotate: the file moves away, the writers reopen a new one.
        path.rename(str(path) + '.1')
        later = sample.image_list(sample.LogMaker(start=1700000900.0))
        later.write(str(path))
        new_key = later.events[0]['trace']
        deadline = time.monotonic() + 10
        while server.catalog.get(new_key) is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        _status, listing = _json(server, '/api/flows')
        assert listing['total'] == 4
        assert listing['flows'][0]['key'] == new_key
        status, data = _json(server, '/api/flows/' + old_key)
        assert status == 200
        assert data['diagram'] == mermaid.render(
            sequence_module.Sequence(_cli_flow(str(path) + '.1', '1')))
        status, data = _json(server, '/api/flows/' + new_key)
        assert status == 200 and data['calls'] == 4
    finally:
        server.stop()


def test_a_page_that_fails_answers_500(served, monkeypatch, capsys):
    server, path, _log = served

    def broken(*args, **kwargs):
        raise RuntimeError('renderer tripped')

    monkeypatch.setattr(app.views, 'page', broken)
    key = _cli_flow(path, '1').key
    status, data = _json(server, '/api/flows/' + key)
    assert status == 500
    assert data == {'error': 'RuntimeError: renderer tripped'}
    assert _json(server, '/api/flows')[0] == 200
    err = capsys.readouterr().err
    assert 'failed: RuntimeError: renderer tripped' in err
    # Requests themselves are not logged unless --verbose.
    assert 'GET /api/flows' not in err


def test_several_hosts_logs_make_one_flow(tmp_path):
    log = sample.image_create()
    laptop = tmp_path / 'laptop.log'
    ctl1 = tmp_path / 'ctl1.log'
    with open(laptop, 'wb') as one, open(ctl1, 'wb') as other:
        for record in log.events:
            stream = one if record['host'] == 'laptop' else other
            stream.write(event.encode(record))
    policy = access_module.Access('127.0.0.1', 0)
    server = app.start(feeds.FileFeed([str(laptop), str(ctl1)]), policy)
    try:
        deadline = time.monotonic() + 10
        while server.catalog.progress['indexing']:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        expected, _summaries = index.load_flow(
            source.LogSource([str(laptop), str(ctl1)]), '1')
        _status, listing = _json(server, '/api/flows')
        assert [row['key'] for row in listing['flows']] == [expected.key]
        _status, data = _json(server, '/api/flows/' + expected.key)
        assert data['diagram'] == mermaid.render(
            sequence_module.Sequence(expected))
        assert data['calls'] == 11
    finally:
        server.stop()


class _Flaky(feeds.FileFeed):
    """Fails its first polls, as Redis does while it restarts."""

    failures = 3

    def poll(self):
        if self.failures:
            self.failures -= 1
            raise ConnectionError('Redis is restarting')
        return super(_Flaky, self).poll()


def test_a_feed_that_fails_is_said_and_retried(tmp_path):
    path, _unused = _log(tmp_path)
    policy = access_module.Access('127.0.0.1', 0)
    feed = _Flaky([str(path)])
    server = app.start(feed, policy)
    try:
        _status, data = _json(server, '/api/flows')
        assert data['error'] == 'ConnectionError: Redis is restarting'
        deadline = time.monotonic() + 10
        while _json(server, '/api/flows')[1]['total'] < 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert _json(server, '/api/flows')[1]['error'] is None
    finally:
        server.stop()
