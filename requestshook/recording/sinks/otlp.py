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

"""The otlp sink: one OpenTelemetry span per hop side, over OTLP/HTTP.

The sender thread pairs each ``request`` event with the ``response`` or
``error`` event of the same hop and side, and posts the spans as an
``ExportTraceServiceRequest`` (protobuf) to ``otlp_endpoint``, as OTel's
exporters do.  Ids come from :mod:`requestshook.w3c`: the trace id is
requestshook's, a client side's span id is the first half of its hop id,
a server side's the second half; a server span's parent is the client
span of the same hop when the caller was hooked (it sent
X-Requestshook-Request-Id), else the ``traceparent`` it arrived with;
a client span's parent is the server span of the hop it was made in.
Headers are ``http.request.header.*`` / ``http.response.header.*``
attributes; bodies, which OTel's HTTP instrumentations never record, are
span events.  Everything was redacted before this sink saw it.

The protobuf classes (``opentelemetry-proto``) are imported only when an
otlp sink is configured; the POST uses http.client, which the outbound
hook does not see.
"""

import collections
import datetime
import http.client
import json
import urllib.parse

from requestshook import event as event_format
from requestshook.recording.sinks import base
from requestshook.recording.sinks import queue
from requestshook import redisurl
from requestshook import w3c

CONTENT_TYPE = 'application/x-protobuf'
TIMEOUT = 5.0
MAX_OPEN_HOPS = 10000
SCOPE = 'requestshook'

# Answers meaning the batch itself is refused: sending it again is vain.
_PERMANENT = frozenset([400, 401, 403, 404, 405, 413, 415])
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class _Proto(object):
    """The opentelemetry-proto modules, imported on first use."""

    def __init__(self):
        require = base.require
        package = 'opentelemetry-proto'
        self.service = require(
            'opentelemetry.proto.collector.trace.v1.trace_service_pb2',
            package, 'otlp')
        self.trace = require('opentelemetry.proto.trace.v1.trace_pb2',
                             package, 'otlp')
        self.common = require('opentelemetry.proto.common.v1.common_pb2',
                              package, 'otlp')
        self.resource = require(
            'opentelemetry.proto.resource.v1.resource_pb2', package,
            'otlp')


def fill(container, pairs):
    """Add ``(key, value)`` pairs to a repeated KeyValue field, in place.

    Filling the message in place costs a third of building KeyValue and
    AnyValue objects and copying them in.  None values are left out;
    lists become arrays of strings.
    """
    add = container.add
    for key, item in pairs:
        if item is None:
            continue
        value = add(key=key).value
        kind = type(item)
        if kind is str:
            value.string_value = item
        elif kind is bool:
            value.bool_value = item
        elif kind is int:
            value.int_value = item
        elif kind is float:
            value.double_value = item
        elif kind in (list, tuple):
            values = value.array_value.values
            for element in item:
                values.add(string_value=str(element))
        else:
            value.string_value = str(item)


def _url_parts(url):
    """``(path, host, port)`` of a URL, whatever its Host header held.

    A server side's URL is made from the Host header any client sends:
    urllib refuses some (``h:99999``, ``[::1``) that must still be spans.
    """
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        rest = url.partition('://')[2] or url
        path = '/' + rest.partition('/')[2]
        return path.split('?', 1)[0].split('#', 1)[0], None, None
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.path or '/', parts.hostname, port


def _nanos(ts):
    """Nanoseconds since the epoch of a ``ts`` (exact to the us)."""
    try:
        moment = datetime.datetime.fromisoformat(ts.replace('Z', '+00:00'))
    except (AttributeError, TypeError, ValueError):
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    delta = moment - _EPOCH
    return ((delta.days * 86400 + delta.seconds) * 1000000
            + delta.microseconds) * 1000


def _header_attributes(prefix, headers):
    grouped = collections.OrderedDict()
    for pair in headers or ():
        if len(pair) != 2:
            continue
        grouped.setdefault('%s.%s' % (prefix, str(pair[0]).lower()),
                           []).append(str(pair[1]))
    return list(grouped.items())


def _has_header(headers, name, value):
    name = name.lower()
    return any(len(pair) == 2 and str(pair[0]).lower() == name
               and pair[1] == value for pair in headers or ())


def _header(headers, name):
    name = name.lower()
    for pair in headers or ():
        if len(pair) == 2 and str(pair[0]).lower() == name:
            return pair[1]
    return None


def _body_data(body):
    data = body.get('data')
    if data is None:
        return None
    if body.get('kind') == event_format.BODY_JSON:
        return json.dumps(data, ensure_ascii=False, sort_keys=False)
    return str(data)


def parent_span_id(request, end):
    """The W3C parent span id of a hop side, or None for a root."""
    side = (request or end).get('side')
    hop_id = (request or end).get('id')
    parent = (request or end).get('parent')
    if side == event_format.CLIENT:
        if w3c.is_span_id(parent):
            return parent
        return w3c.server_span_id(parent) if parent else None
    headers = (request or {}).get('headers')
    if _has_header(headers, event_format.HEADER_REQUEST_ID, hop_id):
        return w3c.client_span_id(hop_id)
    if w3c.is_span_id(parent):
        return parent
    continued = w3c.parse(_header(headers, w3c.HEADER))
    trace = (request or end).get('trace')
    if continued and continued[0] == w3c.trace_id(trace):
        return continued[1]
    return w3c.server_span_id(parent) if parent else None


class SpanBuilder(object):
    """Turns event pairs into protobuf spans, grouped by resource."""

    def __init__(self, proto):
        self.proto = proto
        self._open = collections.OrderedDict()
        self.evicted = 0

    def add(self, record):
        """Take one event; a finished side ``(resource key, request, end)``.

        ``request`` is None when the hop's request event was not seen.
        """
        key = (record.get('id'), record.get('side'))
        if record.get('event') == event_format.REQUEST:
            self._open[key] = record
            if len(self._open) > MAX_OPEN_HOPS:
                self._open.popitem(last=False)
                self.evicted += 1
            return None
        request = self._open.pop(key, None)
        return self._resource_key(request or record), request, record

    @staticmethod
    def _resource_key(record):
        service = record.get('to') if record.get('side') == \
            event_format.SERVER else record.get('from')
        return (service or 'unknown', record.get('host') or '',
                record.get('pid') or 0)

    spoiled = 0     # sides left out of a request: fill_span failed

    def fill_span(self, span, request, end):
        """Make ``span`` (a Span in its message) the span of one side."""
        trace_pb2 = self.proto.trace
        first = request or end
        hop_id = first.get('id') or ''
        server = first.get('side') == event_format.SERVER
        span_id = (w3c.server_span_id(hop_id) if server
                   else w3c.client_span_id(hop_id))
        parent = parent_span_id(request, end)
        url = first.get('url') or ''
        path, hostname, port = _url_parts(url)
        method = first.get('method') or 'GET'
        end_ns = _nanos(end.get('ts'))
        if request is not None:
            start_ns = _nanos(request.get('ts'))
        else:
            start_ns = end_ns - int((end.get('duration_ms') or 0) * 1e6)
        status = end.get('status')
        span.trace_id = bytes.fromhex(w3c.trace_id(first.get('trace')))
        span.span_id = bytes.fromhex(span_id)
        if parent:
            span.parent_span_id = bytes.fromhex(parent)
        span.name = '%s %s' % (method, path)
        span.kind = (trace_pb2.Span.SpanKind.SPAN_KIND_SERVER if server
                     else trace_pb2.Span.SpanKind.SPAN_KIND_CLIENT)
        span.start_time_unix_nano = start_ns
        span.end_time_unix_nano = end_ns
        fill(span.attributes, (
            ('http.request.method', method), ('url.full', url),
            ('url.path', path),
            ('server.address', hostname), ('server.port', port),
            ('http.response.status_code', status),
            ('requestshook.hop_id', hop_id),
            ('requestshook.trace_id', first.get('trace')),
            ('requestshook.parent_id', first.get('parent')),
            ('requestshook.side', first.get('side')),
            ('requestshook.from', first.get('from')),
            ('requestshook.to', first.get('to')),
            ('requestshook.duration_ms', end.get('duration_ms')),
        ))
        if request is not None:
            fill(span.attributes, _header_attributes(
                'http.request.header', request.get('headers')))
        fill(span.attributes, _header_attributes(
            'http.response.header', end.get('headers')))
        request_body = end.get('request_body') or (request or {}).get('body')
        if request_body:
            self._body_event(span, 'http.request.body', request_body,
                             _nanos(request.get('ts')) if request
                             else start_ns)
        if end.get('body'):
            self._body_event(span, 'http.response.body', end['body'],
                             end_ns)
        failed = end.get('event') == event_format.ERROR or (
            isinstance(status, int) and status >= (500 if server else 400))
        if failed:
            span.status.code = trace_pb2.Status.StatusCode.STATUS_CODE_ERROR
            span.status.message = end.get('error') or str(status)
        return span

    @staticmethod
    def _body_event(span, name, body, when):
        added = span.events.add(name=name, time_unix_nano=when)
        fill(added.attributes, (
            ('requestshook.body.kind', body.get('kind')),
            ('requestshook.body.size', body.get('size')),
            ('requestshook.body.truncated', body.get('truncated')),
            ('requestshook.body.reason', body.get('reason')),
            ('requestshook.body.data', _body_data(body)),
        ))

    def request(self, finished):
        """An ExportTraceServiceRequest of the finished sides given."""
        grouped = collections.OrderedDict()
        for key, request, end in finished:
            grouped.setdefault(key, []).append((request, end))
        export = self.proto.service.ExportTraceServiceRequest()
        for (service, host, pid), sides in grouped.items():
            resource_spans = export.resource_spans.add()
            fill(resource_spans.resource.attributes, (
                ('service.name', service), ('host.name', host),
                ('process.pid', pid)))
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name = SCOPE
            add = scope_spans.spans.add
            for request, end in sides:
                try:
                    self.fill_span(add(), request, end)
                except Exception:
                    # One side that cannot be a span (a value protobuf
                    # refuses) must not keep the others from being sent.
                    del scope_spans.spans[-1]
                    self.spoiled += 1
        return export


class OtlpSink(queue.QueuedSink):
    """Posts the spans of finished hop sides to an OTLP/HTTP endpoint."""

    kind = 'otlp'

    def __init__(self, endpoint, headers=(), capacity=10000, reporter=None,
                 flush_timeout=2.0):
        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise ValueError('otlp_endpoint is not an http(s) URL: %s'
                             % redisurl.mask_url(endpoint))
        self._builder = SpanBuilder(_Proto())
        super(OtlpSink, self).__init__(capacity, reporter, flush_timeout)
        self.endpoint = endpoint
        self._parts = parts
        self._headers = {'Content-Type': CONTENT_TYPE}
        for item in headers or ():
            name, sep, value = item.partition('=')
            if not sep or not name.strip():
                raise ValueError('otlp_headers wants NAME=VALUE, not %r'
                                 % item)
            self._headers[name.strip()] = value.strip()
        self._connection = None
        self._prepared = (None, None)
        self.posted_spans = 0

    def describe(self):
        return 'otlp %s' % redisurl.mask_url(self.endpoint)

    def connect(self):
        parts = self._parts
        if parts.scheme == 'https':
            self._connection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=TIMEOUT)
        else:
            self._connection = http.client.HTTPConnection(
                parts.hostname, parts.port, timeout=TIMEOUT)

    def _body(self, lines):
        if self._prepared[0] is lines:
            return self._prepared[1]
        finished = []
        for line in lines:
            try:
                side = self._builder.add(event_format.decode(line))
            except ValueError:
                continue
            if side is not None:
                finished.append(side)
        body = None
        if finished:
            body = (self._builder.request(finished).SerializeToString(),
                    len(finished))
        self._prepared = (lines, body)
        return body

    def send(self, lines):
        prepared = self._body(lines)
        if prepared is None:
            return
        body, count = prepared
        path = self._parts.path or '/v1/traces'
        if self._parts.query:
            path += '?' + self._parts.query
        self._connection.request('POST', path, body, self._headers)
        response = self._connection.getresponse()
        answer = response.read()
        if 200 <= response.status < 300:
            self.posted_spans += count
            self._prepared = (None, None)
            return
        if response.status in _PERMANENT:
            self._prepared = (None, None)
            self._reporter.failed(
                'refused ' + self._category(), response.status,
                'requestshook: %s refused %d spans (%d %s: %s); they are '
                'dropped.', self.describe(), count, response.status,
                response.reason, answer[:200])
            return
        raise IOError('%s answered %d %s' % (
            redisurl.mask_url(self.endpoint), response.status,
            response.reason))

    def disconnect(self):
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
