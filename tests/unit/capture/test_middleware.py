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


import io
import logging
import sys
import wsgiref.util
import wsgiref.validate

import pytest
import webob

from requestshook.capture import context
from requestshook import event
from requestshook.capture import middleware
from requestshook.capture import outbound
from requestshook.capture import trust
from requestshook.capture import wsgi_request
from tests.unit import fake_recorder

ECHOED = {name.lower() for name in event.ECHOED_HEADERS}


@pytest.fixture(autouse=True)
def installs(monkeypatch):
    """Loading the filter installs the outbound hook: not in this process."""
    calls = []
    monkeypatch.setattr(outbound, 'install',
                        lambda **kwargs: calls.append(kwargs))
    return calls


def serve(app, environ, close=True, stop_after=None):
    """Drive ``app`` as a WSGI server does; returns status, headers, body."""
    response = {}
    written = []

    def start_response(status, headers, exc_info=None):
        if exc_info and response:
            raise exc_info[1].with_traceback(exc_info[2])
        response['status'] = status
        response['headers'] = headers
        return written.append

    result = app(environ, start_response)
    chunks = []
    try:
        for number, chunk in enumerate(result):
            chunks.append(chunk)
            if stop_after is not None and number + 1 >= stop_after:
                break
    finally:
        if close and hasattr(result, 'close'):
            result.close()
    return (response.get('status'), response.get('headers'),
            b''.join(written) + b''.join(chunks))


def environ_for(path='/v2/images', method='GET', body=None, headers=None):
    request = webob.Request.blank(path, method=method,
                                  headers=headers or {})
    if body is not None:
        request.body = body
    return request.environ


def json_app(environ, start_response):
    length = int(environ.get('CONTENT_LENGTH') or 0)
    received = environ['wsgi.input'].read(length) if length else b''
    start_response('201 Created', [('Content-Type', 'application/json'),
                                   ('X-App', 'yes')])
    return [b'{"received": ', str(len(received)).encode(), b'}']


def make_filter(app, rec=None, **conf):
    conf.setdefault('service_name', 'glance-api')
    return middleware.RequestsHook(app, conf, recorder=rec or
                                   fake_recorder.FakeRecorder())


def without_echo(headers):
    return [pair for pair in headers if pair[0].lower() not in ECHOED]


def test_disabled_calls_the_app_untouched():
    rec = fake_recorder.FakeRecorder(enabled=False)
    seen = {}

    def app(environ, start_response):
        seen['input'] = environ['wsgi.input']
        seen['start_response'] = start_response
        return seen.setdefault('result', [b'x'])
    environ = environ_for(method='PUT', body=b'abc')
    original_input = environ['wsgi.input']
    marker = object()
    result = make_filter(app, rec)(environ, marker)
    assert result is seen['result']
    assert seen['start_response'] is marker
    assert seen['input'] is original_input
    assert rec.events == [] and rec.enabled_calls == 1


def test_request_and_response_events_with_streamed_request_body():
    rec = fake_recorder.FakeRecorder()
    environ = environ_for(method='POST', body=b'{"name": "cirros"}',
                          headers={'Content-Type': 'application/json',
                                   'User-Agent': 'openstacksdk/4.0 ka/5'})
    status, headers, body = serve(make_filter(json_app, rec), environ)
    direct = serve(json_app, environ_for(method='POST',
                                         body=b'{"name": "cirros"}'))
    assert (status, without_echo(headers), body) == direct
    assert rec.kinds() == [('request', 'server'), ('response', 'server')]
    request, response = rec.events
    assert request['from'] == 'openstacksdk'
    assert request['to'] == 'glance-api'
    assert request['method'] == 'POST'
    assert request['url'] == 'http://localhost:80/v2/images'
    assert request['body'] is None
    assert ['Content-Type', 'application/json'] in request['headers']
    assert response['id'] == request['id'] and len(request['id']) == 32
    assert response['trace'] == request['trace'] != request['id']
    assert response['parent'] is None
    assert response['status'] == 201 and response['reason'] == 'Created'
    assert response['request_body']['data'] == {'name': 'cirros'}
    assert response['body']['data'] == {'received': 18}
    assert dict(headers)[event.HEADER_REQUEST_ID] == request['id']
    assert dict(headers)[event.HEADER_REQUEST_FROM] == 'openstacksdk'
    assert [event.HEADER_REQUEST_ID, request['id']] in response['headers']


def test_request_without_body_is_empty_at_arrival():
    rec = fake_recorder.FakeRecorder()
    serve(make_filter(json_app, rec), environ_for())
    assert rec.events[0]['body']['kind'] == 'empty'
    assert 'request_body' not in rec.events[1]


def test_ids_from_headers_are_used():
    rec = fake_recorder.FakeRecorder()
    headers = {event.HEADER_REQUEST_ID: 'a' * 32,
               event.HEADER_REQUEST_FROM: 'openstack',
               event.HEADER_TRACE_ID: 'b' * 32,
               event.HEADER_PARENT_ID: 'c' * 32,
               'User-Agent': 'curl/8'}
    status, response_headers, _ = serve(make_filter(json_app, rec),
                                        environ_for(headers=headers))
    for record in rec.events:
        assert (record['id'], record['trace'], record['parent'],
                record['from']) == ('a' * 32, 'b' * 32, 'c' * 32,
                                    'openstack')
    assert dict(response_headers)[event.HEADER_REQUEST_ID] == 'a' * 32


def test_callers_are_named_per_user_agent_and_long_agents_not_kept():
    rec = fake_recorder.FakeRecorder()
    app = make_filter(json_app, rec)
    long_agent = 'python-novaclient/18 ' + 'x' * 70000
    for agent in ('openstacksdk/4.0 ka/5', 'curl/8', 'openstacksdk/4.1',
                  long_agent, ''):
        serve(app, environ_for(headers={'User-Agent': agent}))
    assert [record['from'] for record in rec.events[::2]] == [
        'openstacksdk', 'curl', 'openstacksdk', 'python-novaclient',
        middleware.UNKNOWN_CALLER]
    assert long_agent not in wsgi_request._callers


def test_junk_ids_are_replaced():
    rec = fake_recorder.FakeRecorder()
    headers = {event.HEADER_REQUEST_ID: 'x' * 500,
               event.HEADER_TRACE_ID: 'not an id!'}
    serve(make_filter(json_app, rec), environ_for(headers=headers))
    assert rec.events[0]['id'] != 'x' * 500
    assert len(rec.events[0]['trace']) == 32
    assert rec.events[0]['from'] == middleware.UNKNOWN_CALLER


@pytest.mark.parametrize('key', [event.HEADER_REQUEST_ID,
                                 event.HEADER_TRACE_ID,
                                 event.HEADER_PARENT_ID])
def test_an_id_ending_in_a_newline_is_replaced(key):
    # '$' matches before a final newline: the id would be echoed, or sent
    # on by the outbound hook, and python-requests refuses such a header.
    rec = fake_recorder.FakeRecorder()
    _, response_headers, _ = serve(make_filter(json_app, rec),
                                   environ_for(headers={key: 'a' * 32}))
    environ = environ_for()
    environ[event.environ_key(key)] = 'a' * 32 + '\n'
    _, response_headers, _ = serve(make_filter(json_app, rec), environ)
    field = {event.HEADER_REQUEST_ID: 'id', event.HEADER_TRACE_ID: 'trace',
             event.HEADER_PARENT_ID: 'parent'}[key]
    assert rec.events[0][field] == 'a' * 32
    assert rec.events[-1][field] != 'a' * 32 + '\n'
    for _, value in response_headers:
        assert '\n' not in value


def test_app_echoed_headers_are_replaced_not_doubled():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain'),
                                  (event.HEADER_REQUEST_ID, 'backend')])
        return [b'ok']
    _, headers, _ = serve(make_filter(app), environ_for())
    ids = [v for k, v in headers if k == event.HEADER_REQUEST_ID]
    assert len(ids) == 1 and ids[0] != 'backend'


def test_hop_is_current_in_app_and_while_streaming():
    seen = []

    def app(environ, start_response):
        seen.append(context.current())
        start_response('200 OK', [('Content-Type', 'text/plain')])

        def generate():
            seen.append(context.current())
            yield b'a'
            seen.append(context.current())
            yield b'b'
        return generate()
    rec = fake_recorder.FakeRecorder()
    serve(make_filter(app, rec), environ_for(
        headers={event.HEADER_TRACE_ID: 'f' * 32}))
    hop_id = rec.events[0]['id']
    assert [hop.hop_id for hop in seen] == [hop_id] * 3
    assert {hop.trace for hop in seen} == {'f' * 32}
    assert {hop.service for hop in seen} == {'glance-api'}
    assert context.current() is None


def test_app_raising_writes_error_and_reraises_same_exception():
    failure = ValueError('boom')

    def app(environ, start_response):
        raise failure
    rec = fake_recorder.FakeRecorder()
    with pytest.raises(ValueError) as raised:
        make_filter(app, rec)(environ_for(), lambda *a: None)
    assert raised.value is failure
    assert rec.kinds() == [('request', 'server'), ('error', 'server')]
    assert rec.events[1]['error'] == 'ValueError: boom'
    assert context.current() is None


def test_iterator_raising_writes_error():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])

        def generate():
            yield b'a'
            raise KeyError('later')
        return generate()
    rec = fake_recorder.FakeRecorder()
    with pytest.raises(KeyError):
        serve(make_filter(app, rec), environ_for())
    assert rec.kinds()[-1] == ('error', 'server')
    assert rec.events[-1]['status'] == 200


def test_client_going_away_writes_error():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return (b'x' * 10 for _ in range(100))
    rec = fake_recorder.FakeRecorder()
    serve(make_filter(app, rec), environ_for(), stop_after=3)
    assert rec.kinds() == [('request', 'server'), ('error', 'server')]
    assert 'went away after 30' in rec.events[1]['error']


def test_filtered_call_is_not_recorded_but_hop_is_current():
    seen = []

    def app(environ, start_response):
        seen.append(context.current())
        return json_app(environ, start_response)
    rec = fake_recorder.FakeRecorder(dropped=[
        ('nova-compute', 'glance-api', 'GET', '/v2/images')])
    status, headers, body = serve(make_filter(app, rec), environ_for(
        headers={event.HEADER_REQUEST_FROM: 'nova-compute'}))
    assert rec.events == []
    assert headers == [('Content-Type', 'application/json'),
                       ('X-App', 'yes')]
    assert seen[0] is not None and seen[0].service == 'glance-api'


@pytest.mark.parametrize('method, status', [
    ('HEAD', '200 OK'), ('GET', '204 No Content'),
    ('GET', '304 Not Modified')])
def test_bodiless_responses(method, status):
    def app(environ, start_response):
        start_response(status, [])
        return []
    rec = fake_recorder.FakeRecorder()
    result = serve(make_filter(app, rec), environ_for(method=method))
    assert result[2] == b''
    assert rec.events[1]['event'] == 'response'
    assert rec.events[1]['body']['kind'] == 'empty'
    assert rec.events[1]['status'] == int(status[:3])


def test_head_client_leaving_after_headers_is_a_response():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return (b'x' for _ in range(3))
    rec = fake_recorder.FakeRecorder()
    serve(make_filter(app, rec), environ_for(method='HEAD'), stop_after=1)
    assert rec.kinds()[-1] == ('response', 'server')
    rec = fake_recorder.FakeRecorder()
    serve(make_filter(app, rec), environ_for(method='GET'), stop_after=1)
    assert rec.kinds()[-1] == ('error', 'server')


def test_empty_chunks_pass_through():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return iter([b'', b'a', b'', b'b', b''])
    rec = fake_recorder.FakeRecorder()
    result = make_filter(app, rec)(environ_for(), lambda *a: None)
    assert list(result) == [b'', b'a', b'', b'b', b'']
    result.close()
    assert rec.events[1]['body']['data'] == 'ab'


def test_write_callable_is_observed():
    def app(environ, start_response):
        write = start_response('200 OK', [('Content-Type', 'text/plain')])
        write(b'written ')
        return [b'returned']
    rec = fake_recorder.FakeRecorder()
    assert serve(make_filter(app, rec), environ_for())[2] == \
        b'written returned'
    assert rec.events[1]['body']['data'] == 'written returned'


def test_start_response_with_exc_info():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        try:
            raise RuntimeError('late')
        except RuntimeError:
            start_response('500 Internal Server Error',
                           [('Content-Type', 'text/plain')], sys.exc_info())
        return [b'sorry']
    rec = fake_recorder.FakeRecorder()
    calls = []

    def start_response(status, headers, exc_info=None):
        calls.append((status, exc_info is not None))
    result = make_filter(app, rec)(environ_for(), start_response)
    assert list(result) == [b'sorry']
    result.close()
    assert calls == [('200 OK', False), ('500 Internal Server Error', True)]
    assert rec.events[1]['status'] == 500


class _FileWrapper(object):
    def __init__(self, filelike, block_size=8192):
        self.filelike = filelike
        self.close = filelike.close

    def __iter__(self):
        return iter(lambda: self.filelike.read(8192), b'')


def test_file_wrapper_passes_unwrapped():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'application/x'),
                                  ('Content-Length', '5')])
        return environ['wsgi.file_wrapper'](io.BytesIO(b'hello'))
    rec = fake_recorder.FakeRecorder()
    environ = environ_for()
    environ['wsgi.file_wrapper'] = _FileWrapper
    result = make_filter(app, rec)(environ, lambda *a: None)
    assert type(result) is _FileWrapper
    assert b''.join(result) == b'hello'
    assert len(rec.events) == 1
    result.close()
    assert result.filelike.closed
    assert rec.events[1]['event'] == 'response'
    assert rec.events[1]['body'] == event.omitted_body(
        5, 'wsgi.file_wrapper')


def test_file_handed_back_by_a_function_file_wrapper_passes_unwrapped():
    # uwsgi's wsgi.file_wrapper is a function returning the file itself;
    # uwsgi sends it with sendfile only if the file comes back.
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'application/x'),
                                  ('Content-Length', '5')])
        return environ['wsgi.file_wrapper'](io.BytesIO(b'hello'), 4096)
    rec = fake_recorder.FakeRecorder()
    environ = environ_for()
    environ['wsgi.file_wrapper'] = lambda filelike, block_size=8192: filelike
    result = make_filter(app, rec)(environ, lambda *a: None)
    assert type(result) is io.BytesIO
    assert result.read() == b'hello'
    assert len(rec.events) == 1
    result.close()
    assert result.closed
    assert [e['event'] for e in rec.events] == ['request', 'response']
    assert rec.events[1]['body'] == event.omitted_body(
        5, 'wsgi.file_wrapper')


def test_bare_bytes_result_is_handed_on_as_it_is():
    # Not WSGI, but uwsgi sends a bytes result whole.
    payload = b'bare bytes'

    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return payload
    rec = fake_recorder.FakeRecorder()
    result = make_filter(app, rec)(environ_for(), lambda *a: None)
    assert result is payload
    assert rec.kinds() == [('request', 'server'), ('response', 'server')]
    assert rec.events[1]['body']['data'] == 'bare bytes'


def test_request_body_read_in_part():
    def app(environ, start_response):
        environ['wsgi.input'].read(3)
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'']
    rec = fake_recorder.FakeRecorder()
    serve(make_filter(app, rec), environ_for(method='PUT', body=b'abcdef'))
    assert rec.events[1]['request_body']['truncated'] is True
    assert rec.events[1]['request_body']['size'] == 3


def _chunked_environ(data):
    environ = environ_for(method='PUT')
    environ['HTTP_TRANSFER_ENCODING'] = 'chunked'
    environ.pop('CONTENT_LENGTH', None)
    environ['wsgi.input'] = io.BytesIO(data)
    return environ


def _reading(amount):
    def app(environ, start_response):
        if amount is not None:
            environ['wsgi.input'].read(*amount)
        start_response('204 No Content', [])
        return []
    return app


@pytest.mark.parametrize('amount, kind, size, reason', [
    (None, 'omitted', 0, 'not read'),
    ((3,), 'text', 3, 'not read to its end'),
    ((), 'text', 6, None),
])
def test_chunked_request_body(amount, kind, size, reason):
    rec = fake_recorder.FakeRecorder()
    serve(make_filter(_reading(amount), rec), _chunked_environ(b'abcdef'))
    request_body = rec.events[1]['request_body']
    assert (request_body['kind'], request_body['size'],
            request_body.get('reason')) == (kind, size, reason)
    assert request_body['truncated'] is (reason is not None and size > 0)


def test_large_bodies_keep_only_the_head():
    def app(environ, start_response):
        data = environ['wsgi.input'].read()
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [data, data]
    rec = fake_recorder.FakeRecorder(max_body_bytes=10)
    _, _, body = serve(make_filter(app, rec),
                       environ_for(method='PUT', body=b'z' * 1000))
    assert body == b'z' * 2000
    assert rec.events[1]['body'] == {'kind': 'text', 'data': 'z' * 10,
                                     'size': 2000, 'truncated': True}
    assert rec.events[1]['request_body']['size'] == 1000


class _BrokenRecorder(fake_recorder.FakeRecorder):
    def should_record(self, *args, **kwargs):
        raise RuntimeError('filters broke')


def test_internal_failure_is_logged_once_and_request_goes_on(caplog):
    middleware._REPORTER.resolved('middleware')
    rec = _BrokenRecorder()
    app = make_filter(json_app, rec)
    with caplog.at_level(logging.WARNING, logger='requestshook'):
        for _ in range(3):
            result = serve(app, environ_for(method='POST', body=b'{}'))
            assert result == serve(json_app, environ_for(method='POST',
                                                         body=b'{}'))
    messages = [r for r in caplog.records if 'filters broke' in r.message]
    assert len(messages) == 1
    assert rec.events == []


class _RaisingEmitRecorder(fake_recorder.FakeRecorder):
    def emit(self, event):
        raise OSError('disk gone')


def test_emit_failing_leaves_response_unchanged():
    middleware._REPORTER.resolved('middleware')
    result = serve(make_filter(json_app, _RaisingEmitRecorder()),
                   environ_for(method='POST', body=b'{}'))
    assert result == serve(json_app, environ_for(method='POST',
                                                 body=b'{}'))


def test_filter_failing_to_load_passes_through(monkeypatch):
    from requestshook.recording import recorder

    def broken(**kwargs):
        raise RuntimeError('no recorder')
    monkeypatch.setattr(recorder, 'get_recorder', broken)
    hooked = middleware.RequestsHook(json_app, {'service_name': 'x'})
    assert serve(hooked, environ_for()) == serve(json_app, environ_for())


def test_service_name_falls_back_to_config_then_process():
    rec = fake_recorder.FakeRecorder(service_name='from-config')
    serve(middleware.RequestsHook(json_app, {}, recorder=rec), environ_for())
    assert rec.events[0]['to'] == 'from-config'
    rec = fake_recorder.FakeRecorder()
    serve(middleware.RequestsHook(json_app, {}, recorder=rec), environ_for())
    assert rec.events[0]['to'] and rec.events[0]['to'] != 'from-config'


def test_filter_factory_passes_options_to_the_recorder(monkeypatch):
    from requestshook.recording import recorder
    asked = {}

    def get_recorder(config_file=None, overrides=None):
        asked.update(config_file=config_file, overrides=overrides)
        return fake_recorder.FakeRecorder()
    monkeypatch.setattr(recorder, 'get_recorder', get_recorder)
    make = middleware.filter_factory({'here': '/etc/glance'},
                                     service_name='glance-api',
                                     config_file='/etc/rh.conf',
                                     max_body_bytes='10')
    hooked = make(json_app)
    assert isinstance(hooked, middleware.RequestsHook)
    assert asked == {'config_file': '/etc/rh.conf',
                     'overrides': {'service_name': 'glance-api',
                                   'max_body_bytes': '10'}}


def _validated_environ(body=b''):
    environ = environ_for(method='PUT' if body else 'GET', body=body or None)
    wsgiref.util.setup_testing_defaults(environ)
    return environ


def streaming_app(environ, start_response):
    data = environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH')
                                          or 0))
    start_response('200 OK', [('Content-Type', 'application/octet-stream')])
    return iter([b'<', data, b'>'])


@pytest.mark.parametrize('order', ['validator-outside', 'validator-inside',
                                   'both'])
def test_wsgiref_validator(order):
    rec = fake_recorder.FakeRecorder()
    if order == 'validator-outside':
        app = wsgiref.validate.validator(make_filter(streaming_app, rec))
    elif order == 'validator-inside':
        app = make_filter(wsgiref.validate.validator(streaming_app), rec)
    else:
        app = wsgiref.validate.validator(make_filter(
            wsgiref.validate.validator(streaming_app), rec))
    with _no_warning():
        status, headers, body = serve(app, _validated_environ(b'payload'))
    assert (status, body) == ('200 OK', b'<payload>')
    assert rec.kinds() == [('request', 'server'), ('response', 'server')]
    assert rec.events[1]['request_body']['data'] == 'payload'


class _no_warning(object):
    def __enter__(self):
        import warnings
        self._catcher = warnings.catch_warnings()
        self._catcher.__enter__()
        warnings.simplefilter('error', wsgiref.validate.WSGIWarning)

    def __exit__(self, *exc_info):
        return self._catcher.__exit__(*exc_info)


def _claimed_headers(signature_key=None):
    headers = {event.HEADER_REQUEST_ID: 'a' * 32,
               event.HEADER_REQUEST_FROM: 'openstack',
               event.HEADER_TRACE_ID: 'b' * 32,
               event.HEADER_PARENT_ID: 'c' * 32,
               'User-Agent': 'curl/8.5.0'}
    if signature_key:
        headers[trust.HEADER_HMAC] = trust.sign(
            signature_key, 'a' * 32, 'openstack', 'b' * 32, 'c' * 32)
    return headers


@pytest.mark.parametrize('signed_with, trusted', [
    ('key-2', True), ('other', False), (None, False)])
def test_hmac_keys_decide_whether_ids_are_used(signed_with, trusted):
    rec = fake_recorder.FakeRecorder()
    hooked = make_filter(json_app, rec, hmac_keys='key-1, key-2')
    serve(hooked, environ_for(headers=_claimed_headers(signed_with)))
    request = rec.events[0]
    claimed = ('a' * 32, 'b' * 32, 'c' * 32, 'openstack')
    seen = (request['id'], request['trace'], request['parent'],
            request['from'])
    if trusted:
        assert seen == claimed
    else:
        assert seen[0] != claimed[0] and seen[1] != claimed[1]
        assert seen[2:] == (None, 'curl')


def test_non_ascii_signature_is_not_trusted_and_the_call_recorded():
    rec = fake_recorder.FakeRecorder()
    hooked = make_filter(json_app, rec, hmac_keys='key-1')
    headers = _claimed_headers()
    headers[trust.HEADER_HMAC] = '\xe9' * 64
    serve(hooked, environ_for(headers=headers))
    assert rec.kinds() == [('request', 'server'), ('response', 'server')]
    assert rec.events[0]['id'] != 'a' * 32
    assert rec.events[0]['from'] == 'curl'


def test_without_hmac_keys_ids_are_labels():
    rec = fake_recorder.FakeRecorder()
    serve(make_filter(json_app, rec), environ_for(
        headers=_claimed_headers()))
    assert rec.events[0]['id'] == 'a' * 32
    assert rec.events[0]['from'] == 'openstack'


def test_loading_the_filter_installs_the_outbound_hook(installs):
    rec = fake_recorder.FakeRecorder()
    make_filter(json_app, rec, hmac_keys='k1,k2')
    assert installs == [{'recorder': rec, 'service_name': 'glance-api',
                         'hmac_key': ['k1', 'k2']}]
