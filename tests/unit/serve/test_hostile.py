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

"""What anyone able to write a log line or reach the port can do."""

import json
import socket
import time

import pytest

from requestshook.reading import sample
from requestshook.serve import access as access_module
from requestshook.serve import app
from requestshook.serve import feeds
from requestshook.serve import redis_feed
from requestshook.serve import views
from requestshook.serve import files
from tests.unit.serve import test_app

# Lines that decode as JSON events but hold fields of the wrong type.
HOSTILE = [
    {'event': 'request', 'ts': 5, 'trace': 'a' * 32, 'id': 'b' * 32},
    {'event': 'request', 'trace': ['a'], 'id': 'c' * 32},
    {'event': 'response', 'trace': 'd' * 32, 'id': 'd' * 32,
     'headers': 'x', 'status': '200'},
    {'event': 'request', 'trace': 'e' * 32, 'id': 'e' * 32,
     'from': {'a': 1}, 'to': True, 'url': 7, 'method': None},
    {'event': 'response', 'trace': 'f' * 32, 'id': 'f' * 32,
     'body': 5, 'status': True, 'duration_ms': 'slow'},
    {'event': 'request', 'trace': 'g' * 32, 'id': 'g' * 32,
     'headers': [5, ['a']]},
    {'event': 'request', 'trace': 'h' * 32, 'id': 'h' * 32,
     'headers': [['a', 1]], 'request_body': {'size': '5'}},
]


def _hostile_lines():
    lines = [json.dumps(record) for record in HOSTILE]
    lines.append('{"event": "request", "body": %s%s}'
                 % ('[' * 100000, ']' * 100000))
    return '\n'.join(lines) + '\n'


def _json(server, url):
    status, found = test_app._json(server, url)
    assert status == 200, found
    return found


def _wait_indexed(server):
    deadline = time.monotonic() + 10
    while server.catalog.progress['indexing']:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_lines_of_the_wrong_shape_lose_no_other_flow(tmp_path):
    log = sample.image_create()
    sample.image_list(log)
    clean = log.write(str(tmp_path / 'clean.log'))
    lines = open(clean).read().splitlines(True)
    mixed = tmp_path / 'mixed.log'
    # Every other line of the log follows a hostile one.
    mixed.write_text(''.join(_hostile_lines() + line for line in lines))
    served_clean = test_app._start(clean)
    served = test_app._start(mixed)
    try:
        listed = _json(served, '/api/flows')
        assert listed['flows'] == \
            _json(served_clean, '/api/flows')['flows']
        assert served.indexer.error is None
        for row in listed['flows']:
            page = '/api/flows/' + row['key']
            assert _json(served, page) == \
                _json(served_clean, page)
    finally:
        served.stop()
        served_clean.stop()


def test_a_line_without_end_is_not_kept_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(files, 'MAX_LINE', 1 << 20)
    path = tmp_path / 'rh.log'
    log = sample.image_create()
    log.write(str(path))
    generations = files.Generations()
    followed = files.FollowedLog(str(path), generations)
    first = followed.poll()
    assert first
    with open(path, 'ab') as stream:
        for _ in range(6):
            stream.write(b'x' * (1 << 20))
            stream.flush()
            followed.poll(limit=1 << 19)
            followed.poll(limit=1 << 19)
            assert len(followed.pending) <= (1 << 20) + (1 << 19)
        stream.write(b'\n' + open(path, 'rb').readline())
    after = followed.poll()
    assert followed.too_long == 1
    assert len(after) == 1
    value, line = after[0]
    assert line == open(path, 'rb').readline()
    assert generations.read(value) == line
    generations.close_all()


@pytest.fixture
def served(tmp_path):
    path = tmp_path / 'rh.log'
    sample.image_create().write(str(path))
    server = test_app._start(path)
    yield server
    server.stop()


def _connect(server):
    return socket.create_connection(
        ('127.0.0.1', server.server_address[1]), timeout=10)


def test_a_silent_connection_is_closed(served, monkeypatch):
    assert 0 < app.Handler.timeout <= 120
    monkeypatch.setattr(app.Handler, 'timeout', 0.5)
    sock = _connect(served)
    try:
        sock.settimeout(5)
        assert sock.recv(100) == b''
    finally:
        sock.close()


def test_connections_beyond_the_limit_are_refused_at_once(served):
    served.max_connections = 3
    idle = [_connect(served) for _ in range(3)]
    try:
        time.sleep(0.2)
        sock = _connect(served)
        sock.settimeout(5)
        sock.sendall(b'GET /api/flows HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n')
        answer = sock.recv(100)
        sock.close()
        assert answer.startswith(b'HTTP/1.0 503')
    finally:
        for sock in idle:
            sock.close()
    # Once they are gone, the server answers again.
    deadline = time.monotonic() + 10
    while True:
        try:
            assert test_app._get(served, '/api/flows')[0] == 200
            break
        except AssertionError:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_redis_entries_of_the_wrong_shape_are_skipped(redis_server):
    client = redis_server.client()
    log = sample.image_create()
    for number, record in enumerate(log.events):
        client.xadd('requestshook', {'event': json.dumps(
            HOSTILE[number % len(HOSTILE)])})
        client.xadd('requestshook', {'event': json.dumps(record)})
    # Ids a hostile writer may choose: beyond what a position packs.
    client.xadd('requestshook', {'event': json.dumps(log.events[0])},
                id='%d-0' % (1 << 50))
    client.xadd('requestshook', {'event': json.dumps(log.events[0])},
                id='%d-%d' % ((1 << 50), (1 << 30)))
    server = app.start(feeds.open_feed([], redis_server.url),
                       access_module.Access('127.0.0.1', 0))
    try:
        _wait_indexed(server)
        listed = _json(server, '/api/flows')
        assert server.indexer.error is None
        assert listed['total'] == 1
        key = listed['flows'][0]['key']
        page = _json(server, '/api/flows/' + key)
        assert page['calls'] == len({record['id'] for record in log.events})
    finally:
        server.stop()


from tests.unit.recording.sinks import conftest  # noqa: E402
redis_server = conftest.redis_server


def test_the_token_is_never_printed(tmp_path, capsys):
    path = tmp_path / 'rh.log'
    sample.image_create().write(str(path))
    server = test_app._start(path, access_module.Access(
        '127.0.0.1', 0, token='s3cret-token'))
    try:
        for request in (b'GET /?token=s3cret-token HTTP/1.1 junk\r\n\r\n',
                        b'GET /?token=s3cret-token x HTTP/1.0\r\n\r\n',
                        b'GET /?a=1&token=s3cret-token HTTP/9\r\n\r\n',
                        b'GET /?token=s3cret-token%s HTTP/1.1\r\n\r\n'
                        % (b'x' * 70000)):
            sock = _connect(server)
            sock.sendall(request)
            sock.settimeout(5)
            while sock.recv(65536):
                pass
            sock.close()
    finally:
        server.stop()
    err = capsys.readouterr().err
    assert 'Bad request' in err
    assert 's3cret' not in err


@pytest.mark.parametrize('path', ['/\\evil.example/x', '//evil.example/',
                                  '/%5Cevil.example', '/\\/evil.example'])
def test_the_token_redirect_stays_on_this_server(tmp_path, path):
    server, policy = test_app._token_server(tmp_path, '192.0.2.10')
    try:
        status, headers, _body = test_app._get(
            server, path + '?token=' + policy.token)
    finally:
        server.stop()
    assert status == 303
    location = headers['Location']
    assert location.startswith('/')
    assert not location.startswith(('//', '/\\'))
    assert '\\' not in location


def test_a_flow_too_big_to_show_is_shown_in_part(tmp_path, monkeypatch):
    # Any client can make one flow of 20000 events with 64 KB bodies (a
    # traceparent sent again and again): opening it must not read GBs.
    monkeypatch.setattr(views, 'MAX_FLOW_BYTES', 1 << 20)
    log = sample.LogMaker()
    root = sample.Command()
    body = {'k': 'x' * 60000}
    for _ in range(40):
        with log.call('openstack', 'glance-api', 'POST',
                      sample.GLANCE + '/v2/images', parent=root,
                      request_body=body, response_body=body):
            pass
    path = tmp_path / 'rh.log'
    log.write(str(path))
    assert path.stat().st_size > 8 << 20
    server = test_app._start(path)
    try:
        key = _json(server, '/api/flows')['flows'][0]['key']
        status, _headers, text = test_app._get(server, '/api/flows/' + key)
        page = json.loads(text)
    finally:
        server.stop()
    assert status == 200
    assert len(text) < 3 << 20
    assert 0 < page['calls'] < 40
    assert page['unreadable'] > 0


def test_a_flow_too_big_to_show_from_redis(redis_server, monkeypatch):
    monkeypatch.setattr(views, 'MAX_FLOW_BYTES', 1 << 20)
    monkeypatch.setattr(redis_feed, 'READ_PAGE', 4)
    log = sample.LogMaker()
    root = sample.Command()
    body = {'k': 'x' * 60000}
    for _ in range(40):
        with log.call('openstack', 'glance-api', 'POST',
                      sample.GLANCE + '/v2/images', parent=root,
                      request_body=body, response_body=body):
            pass
    client = redis_server.client()
    for record in log.events:
        client.xadd('requestshook', {'event': json.dumps(record)})
    feed = feeds.open_feed([], redis_server.url)
    server = app.start(feed, access_module.Access('127.0.0.1', 0))
    try:
        _wait_indexed(server)
        key = _json(server, '/api/flows')['flows'][0]['key']
        page = _json(server, '/api/flows/' + key)
    finally:
        server.stop()
    assert 0 < page['calls'] < 40
    assert page['unreadable'] > 0
