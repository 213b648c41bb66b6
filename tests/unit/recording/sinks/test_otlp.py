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


"""The otlp sink against an OTLP/HTTP endpoint (opentelemetry-proto).

Also: the trace of an OpenTelemetry-instrumented client is continued.
"""

import json
import os
import subprocess
import sys
import textwrap
import threading
import wsgiref.simple_server

import pytest

from requestshook import event
from requestshook.recording import recorder
from requestshook.recording import report
from requestshook import w3c
from tests.unit.recording.sinks import conftest
from tests.unit.recording.sinks import test_queue

pytest.importorskip('opentelemetry.proto')

from requestshook.recording.sinks import otlp  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
TOKEN = 'gAAAAAB-a-token-nobody-may-read'
PASSWORD = 'correct-horse-battery'
TRACE = event.new_id()
HOP1 = event.new_id()     # openstack -> glance-api
HOP2 = event.new_id()     # glance-api -> keystone, made while serving HOP1


def _body(value):
    data = json.dumps(value).encode()
    return event.body_record(data, len(data), 'application/json')


def _hop(side, hop_id, parent, caller, callee, method, url, status=200,
         sent_ids=True, request_value=None, answer=None):
    headers = [('Content-Type', 'application/json'),
               ('X-Auth-Token', TOKEN)]
    if sent_ids:
        headers.append((event.HEADER_REQUEST_ID, hop_id))
    arrived = event.request_event(
        side, hop_id, TRACE, parent, caller, callee, method, url, headers,
        _body(request_value) if request_value is not None
        else event.body_record(b'', 0))
    answered = event.response_event(
        side, hop_id, TRACE, parent, caller, callee, method, url, status,
        'OK', [('Content-Type', 'application/json')],
        _body(answer or {}), 12.5)
    return [arrived, answered]


def _tree():
    auth = {'auth': {'identity': {'password': {'user': {
        'name': 'admin', 'password': PASSWORD}}}}}
    return (
        _hop('client', HOP1, None, 'openstack', 'glance-api', 'POST',
             'http://ctl:9292/v2/images', request_value={'name': 'cirros'})
        + _hop('server', HOP1, None, 'openstack', 'glance-api', 'POST',
               'http://ctl:9292/v2/images', request_value={'name': 'cirros'},
               answer={'id': 'image-1'})
        + _hop('client', HOP2, HOP1, 'glance-api', 'keystone', 'POST',
               'http://ctl/identity/v3/auth/tokens', status=201,
               request_value=auth)
        + _hop('server', HOP2, HOP1, 'glance-api', 'keystone', 'POST',
               'http://ctl/identity/v3/auth/tokens', status=201,
               request_value=auth))


def _recorder(tmp_path, collector, extra=''):
    config = tmp_path / 'rh.conf'
    config.write_text(
        '[DEFAULT]\nlog_file = %s\nfilters_file = %s\nsinks = file, otlp\n'
        'otlp_endpoint = %s\n%s' % (tmp_path / 'rh.log',
                                    tmp_path / 'none.json',
                                    collector.endpoint, extra))
    return recorder.Recorder(str(config), reporter=report.Reporter())


def _by_id(spans):
    return {span.span_id.hex(): (resource, span) for resource, span in spans}


def test_spans_carry_the_hop_tree_headers_and_redacted_bodies(
        tmp_path, collector):
    made = _recorder(tmp_path, collector,
                     'otlp_headers = Authorization=Bearer collector-key\n')
    try:
        for record in _tree():
            made.emit(record)
        spans = collector.wait_spans(4)
    finally:
        made.close()
    assert len(spans) == 4
    assert collector.content_types == ['application/x-protobuf'] * len(
        collector.requests)
    assert collector.headers[0]['Authorization'] == 'Bearer collector-key'
    found = _by_id(spans)
    client1, server1 = HOP1[:16], HOP1[16:]
    client2, server2 = HOP2[:16], HOP2[16:]
    assert set(found) == {client1, server1, client2, server2}
    assert {span.trace_id.hex() for _, span in spans} == {TRACE}
    parents = {span_id: span.parent_span_id.hex()
               for span_id, (_, span) in found.items()}
    assert parents == {client1: '', server1: client1, client2: server1,
                       server2: client2}
    kinds = {span_id: span.kind for span_id, (_, span) in found.items()}
    assert kinds[client1] == kinds[client2] == 3      # SPAN_KIND_CLIENT
    assert kinds[server1] == kinds[server2] == 2      # SPAN_KIND_SERVER
    services = {span_id: resource['service.name']
                for span_id, (resource, _) in found.items()}
    assert services == {client1: 'openstack', server1: 'glance-api',
                        client2: 'glance-api', server2: 'keystone'}
    resource, keystone = found[server2]
    attrs = conftest.attributes(keystone.attributes)
    assert keystone.name == 'POST /identity/v3/auth/tokens'
    assert attrs['http.response.status_code'] == 201
    assert attrs['requestshook.hop_id'] == HOP2
    assert attrs['http.request.header.content-type'] == ['application/json']
    token = attrs['http.request.header.x-auth-token'][0]
    assert token.startswith('{SHA256}') and TOKEN not in token
    bodies = {item.name: conftest.attributes(item.attributes)
              for item in keystone.events}
    sent = bodies['http.request.body']
    assert sent['requestshook.body.kind'] == 'json'
    assert '"password": "***"' in sent['requestshook.body.data']
    assert PASSWORD not in sent['requestshook.body.data']
    assert 'http.response.body' in bodies
    _, glance = found[server1]
    answer = conftest.attributes(
        [kv for item in glance.events if item.name == 'http.response.body'
         for kv in item.attributes])
    assert json.loads(answer['requestshook.body.data']) == {'id': 'image-1'}
    assert keystone.start_time_unix_nano <= keystone.end_time_unix_nano
    assert resource['host.name'] == event.HOSTNAME


def test_server_span_of_an_unhooked_caller_is_a_root_or_continues(
        tmp_path, collector):
    hop = event.new_id()
    lone = _hop('server', hop, None, 'curl', 'nova-api', 'GET',
                'http://ctl/compute/v2.1', sent_ids=False)
    continued_hop = event.new_id()
    otel_parent = '00f067aa0ba902b7'
    continued = _hop('server', continued_hop, otel_parent, 'python',
                     'nova-api', 'GET', 'http://ctl/compute/v2.1',
                     sent_ids=False)
    made = _recorder(tmp_path, collector)
    try:
        for record in lone + continued:
            made.emit(record)
        found = _by_id(collector.wait_spans(2))
    finally:
        made.close()
    assert found[hop[16:]][1].parent_span_id == b''
    assert found[continued_hop[16:]][1].parent_span_id.hex() == otel_parent


def test_an_error_event_is_an_error_span(tmp_path, collector):
    hop = event.new_id()
    arrived = event.request_event('client', hop, TRACE, None, 'cli', 'svc',
                                  'GET', 'http://svc/x', [], None)
    failed = event.error_event('client', hop, TRACE, None, 'cli', 'svc',
                               'GET', 'http://svc/x',
                               'ConnectionError: refused', 3.0)
    made = _recorder(tmp_path, collector)
    try:
        made.emit(arrived)
        made.emit(failed)
        (_, span), = collector.wait_spans(1)
    finally:
        made.close()
    assert span.status.code == 2        # STATUS_CODE_ERROR
    assert span.status.message == 'ConnectionError: refused'


def test_a_collector_answering_503_gets_the_spans_again(collector):
    collector.status = 503
    sink = otlp.OtlpSink(collector.endpoint,
                         reporter=report.Reporter(test_queue.Logger()))
    sink.backoff_initial = 0.05
    for record in _tree()[:2]:
        sink.write(event.encode(record))
    assert test_queue.wait_until(lambda: len(collector.content_types) >= 2)
    collector.status = 200
    assert sink.flush(10)
    assert len(collector.spans()) == 1
    sink.close()


def test_credentials_in_the_endpoint_never_reach_a_report(collector):
    logger = test_queue.Logger()
    host = collector.endpoint.split('://', 1)[1]
    endpoint = 'http://u:s3cret@%s?api_key=k3y' % host
    collector.status = 503
    sink = otlp.OtlpSink(endpoint, reporter=report.Reporter(logger))
    sink.backoff_initial = 0.05
    try:
        for record in _tree()[:2]:
            sink.write(event.encode(record))
        assert test_queue.wait_until(lambda: logger.errors)
        said = ' '.join(logger.errors) + sink.describe()
    finally:
        sink.close(wait=False)
    with pytest.raises(ValueError) as raised:
        otlp.OtlpSink('ftp://u:s3cret@h/?token=k3y')
    said += str(raised.value)
    assert 's3cret' not in said and 'k3y' not in said
    assert 'u:***@' in said


@pytest.mark.parametrize('host', ['ctl:99999', 'ctl:port', '[::1'])
def test_a_hostile_host_header_spoils_no_other_span(collector, host):
    # The server side's URL is made from the Host header any client
    # sends: a port urllib refuses must not poison the batch (the sender
    # would retry it forever, and drop everything after).
    logger = test_queue.Logger()
    sink = otlp.OtlpSink(collector.endpoint,
                         reporter=report.Reporter(logger))
    sink.backoff_initial = 0.05
    hostile = _hop('server', event.new_id(), None, 'openstack',
                   'glance-api', 'GET', 'http://%s/v2/images' % host)
    try:
        for record in hostile + _tree():
            sink.write(event.encode(record))
        assert sink.flush(10)
    finally:
        sink.close(wait=False)
    spans = collector.spans()
    assert len(spans) == 5
    names = sorted(span.name for _resource, span in spans)
    assert names == ['GET /v2/images'] + ['POST /identity/v3/auth/tokens'] \
        * 2 + ['POST /v2/images'] * 2
    assert not logger.errors


def test_missing_proto_package_is_a_clear_error(monkeypatch):
    from requestshook.recording.sinks import base
    monkeypatch.setitem(sys.modules, 'opentelemetry.proto.trace.v1.'
                        'trace_pb2', None)
    with pytest.raises(base.MissingDependency) as caught:
        otlp.OtlpSink('http://127.0.0.1:4318/v1/traces')
    assert 'pip install opentelemetry-proto' in str(caught.value)


OTEL_CLIENT = textwrap.dedent('''
    import json, sys
    import requests
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter)
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create(
        {'service.name': 'otel-client'}))
    provider.add_span_processor(SimpleSpanProcessor(
        OTLPSpanExporter(endpoint=sys.argv[2])))
    trace.set_tracer_provider(provider)
    RequestsInstrumentor().instrument()
    with trace.get_tracer('cli').start_as_current_span('command') as span:
        answer = requests.get(sys.argv[1] + '/v2/images')
        print(json.dumps({'trace': '%032x' % span.get_span_context().trace_id,
                          'status': answer.status_code}))
    provider.shutdown()
''')


def test_the_traceparent_of_an_otel_client_is_continued(tmp_path,
                                                        collector):
    pytest.importorskip('opentelemetry.instrumentation.requests')
    pytest.importorskip('opentelemetry.exporter.otlp.proto.http')
    from requestshook.capture import middleware
    from requestshook.capture import outbound
    made = _recorder(tmp_path, collector)
    installed = (outbound._settings.recorder, outbound._settings.service_name)

    def images(environ, start_response):
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [b'{"images": []}']

    app = middleware.RequestsHook(images, {'service_name': 'glance-api'},
                                  recorder=made)
    httpd = wsgiref.simple_server.make_server(
        '127.0.0.1', 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        done = subprocess.run(
            [sys.executable, '-c', OTEL_CLIENT,
             'http://127.0.0.1:%d' % httpd.server_port, collector.endpoint],
            capture_output=True, text=True, timeout=60, cwd=ROOT,
            env={key: value for key, value in os.environ.items()
                 if not key.startswith(('REQUESTSHOOK_', 'OTEL_'))})
        assert done.returncode == 0, done.stderr
        client = json.loads(done.stdout)
        spans = collector.wait_spans(3)
    finally:
        httpd.shutdown()
        httpd.server_close()
        made.close()
        outbound._settings.recorder, outbound._settings.service_name = \
            installed
    assert client['status'] == 200
    assert {span.trace_id.hex() for _, span in spans} == {client['trace']}
    otel_get = [span for resource, span in spans
                if resource['service.name'] == 'otel-client'
                and span.kind == 3]
    ours = [span for resource, span in spans
            if resource['service.name'] == 'glance-api']
    assert len(otel_get) == 1 and len(ours) == 1
    assert ours[0].parent_span_id == otel_get[0].span_id
    assert ours[0].kind == 2
    logged = event.decode(
        (tmp_path / 'rh.log').read_bytes().splitlines()[0])
    assert logged['trace'] == client['trace']
    assert logged['parent'] == otel_get[0].span_id.hex()
    assert w3c.server_span_id(logged['id']) == ours[0].span_id.hex()


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


OTEL_SERVICE_AND_HOOKED_CLIENT = textwrap.dedent('''
    import json, sys, threading, wsgiref.simple_server
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
        InMemorySpanExporter)

    import requestshook

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))

    def hello(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'hello']

    class Quiet(wsgiref.simple_server.WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = wsgiref.simple_server.make_server(
        '127.0.0.1', 0, OpenTelemetryMiddleware(
            hello, tracer_provider=provider), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    recorder = requestshook.enable(service_name='hooked-cli',
                                   config_file=sys.argv[1])
    import requests
    answer = requests.get('http://127.0.0.1:%d/x' % server.server_port)
    server.shutdown()
    span, = exported.get_finished_spans()
    print(json.dumps({
        'status': answer.status_code,
        'trace': '%032x' % span.context.trace_id,
        'parent': '%016x' % span.parent.span_id}))
''')


def test_an_otel_service_continues_requestshooks_trace(tmp_path, collector):
    pytest.importorskip('opentelemetry.instrumentation.wsgi')
    config = tmp_path / 'rh.conf'
    config.write_text(
        '[DEFAULT]\nlog_file = %s\nfilters_file = %s\nsinks = file, otlp\n'
        'otlp_endpoint = %s\nemit_traceparent = true\n'
        % (tmp_path / 'rh.log', tmp_path / 'none.json', collector.endpoint))
    done = subprocess.run(
        [sys.executable, '-c', OTEL_SERVICE_AND_HOOKED_CLIENT, str(config)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={key: value for key, value in os.environ.items()
             if not key.startswith(('REQUESTSHOOK_', 'OTEL_'))})
    assert done.returncode == 0, done.stderr
    otel = json.loads(done.stdout)
    assert otel['status'] == 200
    logged = [event.decode(line) for line in
              (tmp_path / 'rh.log').read_bytes().splitlines()]
    assert otel['trace'] == logged[0]['trace']
    assert otel['parent'] == w3c.client_span_id(logged[0]['id'])
    (_, ours), = collector.wait_spans(1)
    assert ours.span_id.hex() == otel['parent']
    assert ours.trace_id.hex() == otel['trace']
