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


"""The outbound hook against a real HTTP server on 127.0.0.1."""

import array
import gc
import gzip
import hashlib
import http.server
import io
import json
import socket
import threading

import pytest
import requests
import requests.adapters

from requestshook.capture import context
from requestshook.capture import hookstate
from requestshook import event
from requestshook.capture import outbound
from requestshook.capture import trust
from tests.unit import fake_recorder

BIG = bytes(range(256)) * 4096     # 1 MiB


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _body(self):
        if 'chunked' in self.headers.get('Transfer-Encoding', ''):
            data = b''
            while True:
                size = int(self.rfile.readline().strip(), 16)
                chunk = self.rfile.read(size + 2)[:size]
                if not size:
                    break
                data += chunk
            return data
        return self.rfile.read(int(self.headers.get('Content-Length') or 0))

    def _send(self, status, payload, content_type='application/json',
              extra=()):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(payload)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(payload)

    def do_GET(self):
        if self.path == '/big' or self.path.startswith('/v1/'):
            return self._send(200, BIG, 'application/octet-stream')
        if self.path == '/gzip':
            return self._send(200, gzip.compress(b'{"zipped": true}'),
                              extra=[('Content-Encoding', 'gzip')])
        if self.path == '/redirect':
            return self._send(302, b'', extra=[('Location', '/headers')])
        headers = dict(self.headers.items())
        self._send(200, json.dumps({'headers': headers}).encode())

    do_HEAD = do_GET

    def do_PUT(self):
        data = self._body()
        if self.path.startswith('/v1/'):
            return self._send(201, b'', 'text/plain', [
                ('Etag', hashlib.md5(data).hexdigest())])
        self._send(201, json.dumps({
            'size': len(data),
            'sha256': hashlib.sha256(data).hexdigest()}).encode())

    do_POST = do_PUT


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass    # clients closing early are part of the tests


@pytest.fixture(scope='module')
def server():
    httpd = Server(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d' % httpd.server_port
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def rec(monkeypatch):
    recorder = fake_recorder.FakeRecorder(max_body_bytes=64,
                                          callee='test-server')
    monkeypatch.setattr(outbound._settings, 'recorder', recorder)
    monkeypatch.setattr(outbound._settings, 'service_name', 'client-cli')
    monkeypatch.setattr(outbound._settings, 'one_trace', False)
    monkeypatch.setattr(outbound._settings, 'hmac_key', None)
    monkeypatch.delenv(context.TRACE_ID_ENV, raising=False)
    outbound.install()
    return recorder


def _closing_events(rec):
    return [e for e in rec.events if e['event'] != 'request']


def test_headers_and_events_of_a_simple_call(server, rec):
    response = requests.get(server + '/headers')
    seen = response.json()['headers']
    assert rec.kinds() == [('request', 'client'), ('response', 'client')]
    request, answer = rec.events
    assert seen[event.HEADER_REQUEST_ID] == request['id'] == answer['id']
    assert seen[event.HEADER_REQUEST_FROM] == 'client-cli'
    assert seen[event.HEADER_TRACE_ID] == request['trace']
    assert event.HEADER_PARENT_ID not in seen
    assert request['parent'] is None
    assert (request['from'], request['to']) == ('client-cli', 'test-server')
    assert request['url'] == server + '/headers'
    assert request['body']['kind'] == 'empty'
    assert answer['status'] == 200 and answer['reason'] == 'OK'
    assert answer['body']['size'] == len(response.content)
    assert answer['body']['truncated'] is True      # 64 bytes kept
    assert ['Content-Type', 'application/json'] in answer['headers']
    assert rec.asked == [('client-cli', 'test-server', 'GET', '/headers')]


def test_trace_and_parent_from_the_hop_being_served(server, rec):
    hop = context.Hop('t' * 32, 'p' * 32, 'glance-api')
    with context.Serving(hop):
        seen = requests.get(server + '/headers').json()['headers']
    assert seen[event.HEADER_TRACE_ID] == 't' * 32
    assert seen[event.HEADER_PARENT_ID] == 'p' * 32
    assert seen[event.HEADER_REQUEST_FROM] == 'glance-api'
    assert rec.events[0]['parent'] == 'p' * 32
    assert rec.events[0]['from'] == 'glance-api'


def test_root_trace_from_environment_and_one_trace(server, rec,
                                                   monkeypatch):
    first = requests.get(server + '/headers').json()['headers']
    second = requests.get(server + '/headers').json()['headers']
    assert first[event.HEADER_TRACE_ID] != second[event.HEADER_TRACE_ID]
    monkeypatch.setattr(outbound._settings, 'one_trace', True)
    traces = {requests.get(server + '/headers').json()['headers'][
        event.HEADER_TRACE_ID] for _ in range(2)}
    assert len(traces) == 1
    monkeypatch.setenv(context.TRACE_ID_ENV, 'e' * 32)
    seen = requests.get(server + '/headers').json()['headers']
    assert seen[event.HEADER_TRACE_ID] == 'e' * 32


def test_json_request_body_recorded_at_request(server, rec):
    requests.post(server + '/echo', json={'name': 'cirros'})
    assert rec.events[0]['body']['data'] == {'name': 'cirros'}
    assert 'request_body' not in rec.events[1]


def test_generator_body_observed_as_sent(server, rec):
    chunks = [b'a' * 1000, b'b' * 1000, b'c']
    response = requests.put(server + '/upload', data=iter(chunks))
    whole = b''.join(chunks)
    assert response.json() == {
        'size': len(whole), 'sha256': hashlib.sha256(whole).hexdigest()}
    assert rec.events[0]['body'] is None
    request_body = rec.events[1]['request_body']
    assert request_body['size'] == len(whole)
    assert request_body['truncated'] is True


def test_file_body_observed_and_restored(server, rec):
    stream = io.BytesIO(b'0123456789' * 100)
    response = requests.put(server + '/upload', data=stream)
    assert response.json()['size'] == 1000
    assert response.request.body is stream
    assert rec.events[1]['request_body']['size'] == 1000


def test_streamed_response_recorded_when_read_to_end(server, rec):
    response = requests.get(server + '/big', stream=True)
    assert _closing_events(rec) == []
    digest = hashlib.sha256()
    for chunk in response.iter_content(65536):
        digest.update(chunk)
    assert digest.digest() == hashlib.sha256(BIG).digest()
    closing = _closing_events(rec)
    assert len(closing) == 1 and closing[0]['event'] == 'response'
    assert closing[0]['body']['size'] == len(BIG)
    assert closing[0]['body']['kind'] == 'binary'
    response.close()
    assert len(_closing_events(rec)) == 1


def test_raw_read_loop_like_swiftclient(server, rec):
    response = requests.get(server + '/big', stream=True)
    data = b''
    while True:
        chunk = response.raw.read(100000)
        if not chunk:
            break
        data += chunk
    assert data == BIG
    assert rec.events[-1]['event'] == 'response'
    assert rec.events[-1]['body']['size'] == len(BIG)


def test_closed_early_response_is_recorded_with_what_was_read(server, rec):
    response = requests.get(server + '/big', stream=True)
    response.raw.read(1000)
    response.close()
    closing = _closing_events(rec)
    assert len(closing) == 1
    assert closing[0]['body']['size'] == 1000
    assert closing[0]['body']['truncated'] is True


def test_unread_response_recorded_when_collected(server, rec):
    response = requests.get(server + '/big', stream=True)
    assert _closing_events(rec) == []
    del response
    gc.collect()
    assert [e['event'] for e in _closing_events(rec)] == ['response']


def test_small_body_read_in_part_and_closed_is_not_complete(server, rec):
    rec.max_body_bytes = 1 << 20
    response = requests.get(server + '/headers', stream=True)
    length = int(response.headers['Content-Length'])
    assert response.raw.read(10)
    response.close()
    recorded = _closing_events(rec)[0]['body']
    assert recorded['size'] == 10 and length > 10
    assert recorded['truncated'] is True
    assert recorded['reason'] == 'not read to its end'


@pytest.mark.parametrize('end', ['close', 'collect'])
def test_body_never_read_is_not_observed_not_empty(server, rec, end):
    response = requests.get(server + '/big', stream=True)
    if end == 'close':
        response.close()
    else:
        del response
        gc.collect()
    recorded = _closing_events(rec)[0]['body']
    assert recorded['kind'] == 'omitted'
    assert recorded['reason'] == 'not read'
    assert recorded['size'] == len(BIG)


@pytest.mark.parametrize('method', ['head', 'get-empty'])
def test_empty_body_never_read_is_empty(server, rec, method):
    if method == 'head':
        response = requests.head(server + '/headers', stream=True)
    else:
        response = requests.get(server + '/redirect', stream=True,
                                allow_redirects=False)
    del response
    gc.collect()
    recorded = _closing_events(rec)[0]['body']
    assert recorded['kind'] == 'empty' and recorded['size'] == 0


def test_head_and_gzip(server, rec):
    head = requests.head(server + '/headers')
    assert head.content == b''
    assert rec.events[1]['body']['kind'] == 'empty'
    assert requests.get(server + '/gzip').json() == {'zipped': True}
    assert rec.events[3]['body']['data'] == {'zipped': True}


def test_redirect_gives_each_hop_its_own_id(server, rec):
    response = requests.get(server + '/redirect')
    assert response.status_code == 200
    requests_sent = [e for e in rec.events if e['event'] == 'request']
    assert len(requests_sent) == 2
    assert requests_sent[0]['id'] != requests_sent[1]['id']
    assert response.json()['headers'][event.HEADER_REQUEST_ID] == \
        requests_sent[1]['id']


def _refused_url():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return 'http://127.0.0.1:%d/' % probe.getsockname()[1]


def test_send_raising_writes_error_and_raises_unchanged(rec, monkeypatch):
    url = _refused_url()
    with pytest.raises(requests.ConnectionError) as hooked:
        requests.get(url)
    assert rec.kinds() == [('request', 'client'), ('error', 'client')]
    assert rec.events[1]['error'].startswith('ConnectionError')
    monkeypatch.setattr(rec, 'is_enabled', False)
    with pytest.raises(requests.ConnectionError) as plain:
        requests.get(url)
    assert type(hooked.value) is type(plain.value)


def test_filtered_call_propagates_ids_but_writes_nothing(server, rec):
    rec.dropped.add(('client-cli', 'test-server', 'GET', '/headers'))
    seen = requests.get(server + '/headers').json()['headers']
    assert event.HEADER_REQUEST_ID in seen
    assert event.HEADER_TRACE_ID in seen
    assert rec.events == []


def test_disabled_hook_changes_nothing(server, rec, monkeypatch):
    monkeypatch.setattr(rec, 'is_enabled', False)
    response = requests.get(server + '/headers')
    assert not any(name.startswith('X-Requestshook')
                   for name in response.json()['headers'])
    assert rec.events == []


def test_response_is_what_requests_returns_without_the_hook(server, rec,
                                                            monkeypatch):
    hooked = requests.get(server + '/big')
    monkeypatch.setattr(rec, 'is_enabled', False)
    plain = requests.get(server + '/big')
    assert hooked.content == plain.content
    assert hooked.status_code == plain.status_code
    assert type(hooked.raw) is type(plain.raw)
    assert set(hooked.headers) == set(plain.headers)


def test_install_is_idempotent(server, rec):
    import requests.adapters
    outbound.install()
    outbound.install()
    outbound._patch_adapters(requests.adapters)
    requests.get(server + '/headers')
    assert len([e for e in rec.events if e['event'] == 'request']) == 1


class _BrokenRecorder(fake_recorder.FakeRecorder):
    def callee_for_url(self, url):
        raise RuntimeError('map broke')


def test_internal_failure_does_not_change_the_call(server, monkeypatch,
                                                   caplog):
    hookstate._REPORTER.resolved('outbound')
    monkeypatch.setattr(outbound._settings, 'recorder', _BrokenRecorder())
    outbound.install()
    for _ in range(3):
        assert requests.get(server + '/headers').status_code == 200
    assert len([r for r in caplog.records
                if 'map broke' in r.getMessage()]) == 1


def test_ids_are_signed_when_a_key_is_known(server, rec, monkeypatch):
    seen = requests.get(server + '/headers').json()['headers']
    assert trust.HEADER_HMAC not in seen
    monkeypatch.setattr(outbound._settings, 'hmac_key', 'key-1')
    seen = requests.get(server + '/headers').json()['headers']
    assert trust.verify(
        ['key-1'], seen[trust.HEADER_HMAC], seen[event.HEADER_REQUEST_ID],
        seen[event.HEADER_REQUEST_FROM], seen[event.HEADER_TRACE_ID],
        seen.get(event.HEADER_PARENT_ID))


def test_keystoneauth_session(server, rec):
    session = pytest.importorskip('keystoneauth1.session')
    seen = session.Session().get(server + '/v3', headers={
        'X-Auth-Token': 'tok'}).json()['headers']
    assert rec.kinds() == [('request', 'client'), ('response', 'client')]
    assert seen[event.HEADER_REQUEST_ID] == rec.events[1]['id']
    assert rec.events[1]['body']['size'] > 0


def test_swiftclient_streams_both_ways(server, rec):
    swift = pytest.importorskip('swiftclient.client')
    _, chunks = swift.get_object(server + '/v1/AUTH_x', 'tok', 'c', 'o',
                                 resp_chunk_size=65536)
    assert b''.join(chunks) == BIG
    etag = swift.put_object(server + '/v1/AUTH_x', 'tok', 'c', 'o',
                            contents=io.BytesIO(BIG), chunk_size=65536)
    assert etag == hashlib.md5(BIG).hexdigest()
    assert [(e['event'], e['method']) for e in rec.events] == [
        ('request', 'GET'), ('response', 'GET'),
        ('request', 'PUT'), ('response', 'PUT')]
    assert rec.events[1]['body']['size'] == len(BIG)
    assert rec.events[3]['request_body']['size'] == len(BIG)


def test_wraps_over_another_tools_wrapper():
    import types

    import wrapt

    module = types.ModuleType('fake_adapters')

    class HTTPAdapter(object):
        def send(self, request):
            return 'sent'
    module.HTTPAdapter = HTTPAdapter

    def other_tool(wrapped, instance, args, kwargs):
        return wrapped(*args, **kwargs)
    wrapt.wrap_function_wrapper(module, 'HTTPAdapter.send', other_tool)
    outbound._patch_adapters(module)
    outbound._patch_adapters(module)
    outer = HTTPAdapter.__dict__['send']
    assert outer._self_wrapper is outbound._send
    assert outer.__wrapped__._self_wrapper is other_tool
    assert outer.__wrapped__.__wrapped__ is not None
    assert not hasattr(outer.__wrapped__.__wrapped__, '_self_wrapper')


class _EmitBrokenRecorder(fake_recorder.FakeRecorder):
    def emit(self, event):
        raise RuntimeError('emit broke')


def test_broken_recorder_leaves_a_streamed_body_as_given(
        server, monkeypatch):
    monkeypatch.setattr(outbound._settings, 'recorder',
                        _EmitBrokenRecorder())
    outbound.install()
    stream = io.BytesIO(b'0123456789' * 100)
    response = requests.put(server + '/upload', data=stream)
    assert response.json()['size'] == 1000
    assert response.request.body is stream


@pytest.mark.parametrize('data', [
    array.array('B', b'0123456789' * 100),
    memoryview(b'0123456789' * 100),
], ids=['array', 'memoryview'])
def test_buffer_body_is_sent_as_without_the_hook(server, rec, data):
    response = requests.put(server + '/upload', data=data)
    assert response.json() == {
        'size': 1000,
        'sha256': hashlib.sha256(b'0123456789' * 100).hexdigest()}
    assert response.request.body is data
    assert rec.events[0]['body']['size'] == 1000
    assert rec.events[0]['body']['truncated'] is True
    assert rec.events[1]['event'] == 'response'


def _send_prepared(url, body):
    prepared = requests.Request('PUT', url + '/upload').prepare()
    prepared.body = body
    with pytest.raises(Exception) as raised:
        requests.Session().send(prepared)
    return raised.value


def test_body_urllib3_refuses_fails_as_without_the_hook(
        server, rec, monkeypatch):
    hooked = _send_prepared(server, 5)
    monkeypatch.setattr(rec, 'is_enabled', False)
    plain = _send_prepared(server, 5)
    assert type(hooked) is type(plain)
    assert str(hooked) == str(plain)


class _SlottedRaw(object):
    """A raw body that takes neither weak references nor attributes."""

    __slots__ = ('_stream',)

    def __init__(self, data):
        self._stream = io.BytesIO(data)

    def read(self, amt=None, **kwargs):
        return self._stream.read(amt)

    def close(self):
        self._stream.close()


class _SlottedRawAdapter(requests.adapters.HTTPAdapter):
    def build_response(self, request, response):
        built = super(_SlottedRawAdapter, self).build_response(request,
                                                               response)
        built.raw = _SlottedRaw(response.read())
        return built


def test_response_that_cannot_be_watched_still_gets_its_event(server, rec):
    session = requests.Session()
    session.mount('http://', _SlottedRawAdapter())
    response = session.get(server + '/headers')
    assert response.json()['headers'][event.HEADER_REQUEST_ID] == \
        rec.events[0]['id']
    assert rec.kinds() == [('request', 'client'), ('response', 'client')]
    assert rec.events[1]['status'] == 200


@pytest.fixture
def real_recorder(tmp_path, monkeypatch):
    from requestshook.recording import recorder as recorder_module
    config = tmp_path / 'requestshook.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\nfilters_file = %s\n' % (
        tmp_path / 'requestshook.log', tmp_path / 'no-filters.json'))
    recorder = recorder_module.Recorder(str(config))
    monkeypatch.setattr(outbound._settings, 'recorder', recorder)
    monkeypatch.setattr(outbound._settings, 'service_name', 'client-cli')
    monkeypatch.delenv(context.TRACE_ID_ENV, raising=False)
    outbound.install()
    return recorder


def _logged(tmp_path):
    with open(str(tmp_path / 'requestshook.log'), 'rb') as stream:
        return [event.decode(line) for line in stream]


def test_response_collected_while_this_thread_writes_the_log(
        server, real_recorder, tmp_path):
    # The cyclic garbage collector may run on any allocation, also while
    # this thread holds the log's lock: collecting an unread response
    # then must not wait for that lock.
    gc.collect()
    gc.disable()
    try:
        response = requests.get(server + '/big', stream=True)
        cycle = [response]
        cycle.append(cycle)
        del response, cycle
        log = real_recorder._state.log
        clock = log._clock

        def clock_collecting_garbage():
            log._clock = clock
            gc.collect()
            return clock()
        log._clock = clock_collecting_garbage
        written = threading.Event()

        def call_another():
            requests.get(server + '/headers')
            written.set()
        threading.Thread(target=call_another, daemon=True).start()
        assert written.wait(60), 'deadlocked on the log lock'
    finally:
        gc.enable()
    kinds = [(e['event'], e['url'].rsplit('/', 1)[-1])
             for e in _logged(tmp_path)]
    assert kinds == [('request', 'big'), ('request', 'headers'),
                     ('response', 'big'), ('response', 'headers')]
