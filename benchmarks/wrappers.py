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

"""The inbound pipelines compared: one WSGI app behind each peer.

==========  ==========================================================
variant     what wraps the app
==========  ==========================================================
bare        nothing (a)
rh-off      requestshook filter, ``enabled = false`` (b)
rh-on       requestshook filter writing every event to a real file (c)
osprofiler  osprofiler ``WsgiMiddleware``, enabled, HMAC key set, redis
            driver; requests carry a signed ``X-Trace-Info`` (d)
otel        OpenTelemetry ``OpenTelemetryMiddleware``, SDK
            ``TracerProvider``, ``SimpleSpanProcessor`` and
            ``ConsoleSpanExporter`` writing JSON spans to a real file (e):
            the span is written on the request's thread, as requestshook
            writes its events
otel-batch  the same with a ``BatchSpanProcessor`` (OTel's production
            default): spans are queued and written by a background
            thread (e')
otel-otlp   OTel as operators run it: the same middleware and SDK, a
            ``BatchSpanProcessor`` and the OTLP/HTTP (protobuf) exporter
            sending to a local receiver in a process of its own
            (``otlp_receiver.py``), flushed inside every timed round (f):
            the peer the goals compare with
==========  ==========================================================
"""

import os
import uuid

import apps

VARIANTS = ('bare', 'rh-off', 'rh-on', 'osprofiler', 'otel-otlp', 'otel',
            'otel-batch')
OTEL_VARIANTS = ('otel', 'otel-batch', 'otel-otlp')
# The base URL of the OTLP receiver (harness.otlp_receiver sets it; the
# servers' children get it as BENCH_OTLP_URL).
OTLP_URL = os.environ.get('BENCH_OTLP_URL') or None
HMAC_KEY = 'bench-hmac-key'
SERVICE_NAME = 'bench-api'


def requestshook_filter(app, enabled, log_path, max_body_bytes=None):
    from requestshook.capture import middleware
    local_conf = {'service_name': SERVICE_NAME,
                  'enabled': 'true' if enabled else 'false'}
    if log_path:
        local_conf['log_file'] = log_path
    if max_body_bytes is not None:
        local_conf['max_body_bytes'] = str(max_body_bytes)
    return middleware.filter_factory({}, **local_conf)(app)


def osprofiler_filter(app, redis_url):
    from oslo_config import cfg
    from osprofiler import notifier
    from osprofiler import opts  # noqa: F401 (registers [profiler])
    from osprofiler import web
    notifier.set(notifier.create(redis_url, project='bench',
                                 service=SERVICE_NAME, host='127.0.0.1',
                                 conf=cfg.CONF))
    return web.WsgiMiddleware(app, hmac_keys=HMAC_KEY, enabled=True)


def osprofiler_headers():
    """The signed trace headers an osprofiler-enabled client sends."""
    from osprofiler import _utils
    from osprofiler import web
    data = {'base_id': str(uuid.uuid4()), 'parent_id': str(uuid.uuid4())}
    packed, signature = _utils.signed_pack(data, HMAC_KEY)
    return {web.X_TRACE_INFO: packed.decode(), web.X_TRACE_HMAC: signature}


_providers = []


def otel_tracer_provider(span_path, processor='simple'):
    """An SDK TracerProvider exporting every span.

    ``processor`` ``simple`` or ``batch``: as JSON lines to a file
    (ConsoleSpanExporter); ``otlp``: a BatchSpanProcessor and the
    OTLP/HTTP exporter to :data:`OTLP_URL`.
    """
    from opentelemetry.sdk import resources
    from opentelemetry.sdk import trace
    from opentelemetry.sdk.trace import export
    if processor == 'otlp':
        from opentelemetry.exporter.otlp.proto.http import trace_exporter
        if not OTLP_URL:
            raise RuntimeError('no OTLP receiver is running')
        exporter = trace_exporter.OTLPSpanExporter(
            endpoint=OTLP_URL + '/v1/traces')
    else:
        out = open(span_path, 'a')
        exporter = export.ConsoleSpanExporter(
            out=out, formatter=lambda span: span.to_json(indent=None) + '\n')
    if processor in ('batch', 'otlp'):
        span_processor = export.BatchSpanProcessor(exporter)
    else:
        span_processor = export.SimpleSpanProcessor(exporter)
    provider = trace.TracerProvider(resource=resources.Resource.create(
        {'service.name': SERVICE_NAME}))
    provider.add_span_processor(span_processor)
    _providers.append(provider)
    return provider


def flush():
    """Export what a BatchSpanProcessor still holds."""
    for provider in _providers:
        provider.force_flush()


def otel_filter(app, span_path, processor='simple'):
    from opentelemetry.instrumentation import wsgi
    return wsgi.OpenTelemetryMiddleware(
        app, tracer_provider=otel_tracer_provider(span_path, processor))


def pipeline(variant, app=apps.json_app, log_path=None, redis_url=None,
             max_body_bytes=None):
    """``app`` wrapped as ``variant`` says.

    ``log_path`` is where the enabled peers write (requestshook log or
    OTel span file).
    """
    if variant == 'bare':
        return app
    if variant == 'rh-off':
        return requestshook_filter(app, False, log_path, max_body_bytes)
    if variant == 'rh-on':
        return requestshook_filter(app, True, log_path, max_body_bytes)
    if variant == 'osprofiler':
        return osprofiler_filter(app, redis_url)
    if variant == 'otel':
        return otel_filter(app, log_path, 'simple')
    if variant == 'otel-batch':
        return otel_filter(app, log_path, 'batch')
    if variant == 'otel-otlp':
        return otel_filter(app, log_path, 'otlp')
    raise ValueError('unknown variant %r' % variant)


def request_headers(variant):
    """Headers the client must send for ``variant`` to trace the call."""
    if variant == 'osprofiler':
        return osprofiler_headers()
    return {}


def recorded(variant, log_path, redis_url):
    """How many records ``variant`` left: log lines, spans, redis keys.

    Benchmarks check it, so that a peer silently disabled (osprofiler
    turns itself off when its driver fails) never passes for a fast one.
    """
    if variant == 'osprofiler':
        import redis
        client = redis.Redis.from_url(redis_url)
        return sum(client.llen(key)
                   for key in client.scan_iter('osprofiler_opt:*'))
    if variant == 'otel-otlp':
        import urllib.request
        with urllib.request.urlopen(OTLP_URL + '/count') as answer:
            return int(answer.read())
    if variant == 'bare' or not log_path or not os.path.exists(log_path):
        return 0
    with open(log_path, 'rb') as log:
        return sum(chunk.count(b'\n')
                   for chunk in iter(lambda: log.read(1 << 20), b''))


def reset_recorded(variant):
    """Forget what the OTLP receiver counted (files are truncated apart)."""
    if variant == 'otel-otlp':
        import urllib.request
        urllib.request.urlopen(urllib.request.Request(
            OTLP_URL + '/reset', data=b'', method='POST')).close()


def check_recorded(variant, log_path, redis_url, calls):
    """Raise unless ``variant`` recorded ``calls`` calls (none if off)."""
    count = recorded(variant, log_path, redis_url)
    if variant in ('bare', 'rh-off'):
        if count:
            raise RuntimeError('%s wrote %d records' % (variant, count))
    elif count < calls:
        raise RuntimeError('%s recorded %d records for %d calls'
                           % (variant, count, calls))
    return count


def pipeline_from_env():
    """The pipeline the ``BENCH_*`` environment variables describe."""
    app = {'json': apps.json_app, 'stream': apps.stream_app}[
        os.environ.get('BENCH_APP', 'json')]
    max_body = os.environ.get('BENCH_MAX_BODY_BYTES')
    return pipeline(os.environ['BENCH_VARIANT'], app=app,
                    log_path=os.environ.get('BENCH_LOG') or None,
                    redis_url=os.environ.get('BENCH_REDIS_URL') or None,
                    max_body_bytes=int(max_body) if max_body else None)
