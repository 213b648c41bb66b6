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
request.  Recorders of one process (two pipelines with their own
options) share the network sink of one spec (:func:`acquire`,
:func:`release`): one queue and one sender thread per sink and process.
"""

import os
import threading
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


_shared = {}        # spec -> [sink, users]
_shared_lock = threading.Lock()


def _reset_after_fork():
    global _shared_lock
    _shared_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def acquire(spec, reporter):
    """The process's live sink for ``spec``, built on first use."""
    with _shared_lock:
        entry = _shared.get(spec)
        if entry is not None and not entry[0].closed:
            entry[1] += 1
            return entry[0]
        sink = build(spec, reporter)
        _shared[spec] = [sink, 1]
        return sink


def release(sink, wait=True):
    """One user less; the last one closes the sink (see QueuedSink.close)."""
    with _shared_lock:
        for spec, entry in list(_shared.items()):
            if entry[0] is sink:
                entry[1] -= 1
                if entry[1] > 0:
                    return
                del _shared[spec]
                break
    sink.close(wait=wait)
