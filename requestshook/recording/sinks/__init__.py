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

"""Where events go: the sinks named by the ``sinks`` option.

=================================  ==========================================
``file``                           the shared log (:mod:`.file`), the default
``redis://...`` (and rediss://,    one Redis stream (:mod:`.redis`)
unix://, redis+sentinel://,
redis+cluster://)
``otlp``                           spans to an OTLP/HTTP collector
                                   (:mod:`.otlp`)
=================================  ==========================================

Every sink has the interface of :class:`.base.Sink`; the network ones
queue events for a sender thread (:mod:`.queue`) and never block a
request.
"""

import urllib.parse

from requestshook import redisurl

FILE = 'file'
OTLP = 'otlp'


def kind_of(spec):
    """``file``, ``redis`` or ``otlp`` for an entry of ``sinks``."""
    spec = spec.strip()
    if spec.lower() == FILE:
        return FILE
    if spec.lower() == OTLP:
        return OTLP
    scheme = urllib.parse.urlsplit(spec).scheme
    if scheme in redisurl.SCHEMES:
        return 'redis'
    raise ValueError('unknown sink %r: use file, otlp or a redis:// URL'
                     % _masked(spec))


def _masked(spec):
    return redisurl.mask_url(spec)


def network_specs(settings, on_error=None):
    """The ``sinks`` entries other than ``file``, each with its settings.

    Two snapshots whose specs are equal can keep the same sink objects.
    An entry that names no sink is passed to ``on_error(entry, error)``
    and skipped.
    """
    specs = []
    for spec in settings.sinks:
        try:
            kind = kind_of(spec)
        except ValueError as exc:
            if on_error is not None:
                on_error(_masked(spec), exc)
            continue
        if kind == 'redis':
            specs.append(('redis', spec.strip(), settings.redis_stream,
                          settings.redis_maxlen, settings.sink_queue_size,
                          settings.sink_flush_timeout))
        elif kind == OTLP:
            specs.append((OTLP, settings.otlp_endpoint,
                          tuple(settings.otlp_headers),
                          settings.sink_queue_size,
                          settings.sink_flush_timeout))
    return specs


def wants_file(settings):
    """True when the shared log is one of the sinks (or none is named)."""
    return not settings.sinks or any(
        spec.strip().lower() == FILE for spec in settings.sinks)


def build(spec, reporter):
    """A network sink for one entry of :func:`network_specs`."""
    if spec[0] == 'redis':
        from requestshook.recording.sinks import redis
        _, url, stream, maxlen, capacity, flush_timeout = spec
        return redis.RedisSink(url, stream=stream, maxlen=maxlen,
                               capacity=capacity, reporter=reporter,
                               flush_timeout=flush_timeout)
    from requestshook.recording.sinks import otlp
    _, endpoint, headers, capacity, flush_timeout = spec
    return otlp.OtlpSink(endpoint, headers=headers, capacity=capacity,
                         reporter=reporter, flush_timeout=flush_timeout)
