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

"""Benchmark 7: what the network sinks cost a call, beside the peers'.

In process, the 2 KiB JSON call of benchmark 1 (``apps.json_app``)
behind each variant:

==============  ==========================================================
bare            the app alone
rh-file         requestshook's filter, ``sinks = file`` (the default)
rh-redis        requestshook's filter, ``sinks = redis://...`` only: XADD
                to a private redis-server, from the sender thread
rh-otlp         requestshook's filter, ``sinks = otlp`` only: spans to the
                local OTLP/HTTP receiver (``otlp_receiver.py``, a process
                of its own), from the sender thread
osprofiler      osprofiler's ``WsgiMiddleware`` with its redis driver
                (two synchronous LPUSH per call, on the request thread)
otel-otlp       OpenTelemetry's WSGI middleware, SDK, BatchSpanProcessor
                and OTLP/HTTP exporter to the same receiver
==============  ==========================================================

Each round makes ``--sinks-iterations`` calls and then drains what the
variant still holds (requestshook's sink queues, OTel's batch processor)
inside the round, so three figures per call come out of it:

- *request thread CPU*: ``time.thread_time`` of the calling thread, the
  calls only: what a request pays;
- *total CPU*: ``time.process_time`` of the whole process over the calls
  and the drain: the request thread plus the sender / exporter threads
  (redis-server and the receiver are other processes, not counted);
- *wall, drained*: calls and drain, per call.

Each figure is the median over rounds of (variant - bare) of the same
round; rounds are interleaved across variants.  After each round the
records are counted (stream entries, spans, redis keys), so a variant
that silently recorded nothing cannot pass for a fast one.
"""

import argparse
import os
import sys
import tempfile
import time

import apps
import harness
import wrappers

SECTION = '7 sinks, in process'
VARIANTS = ('bare', 'rh-file', 'rh-redis', 'rh-otlp', 'osprofiler',
            'otel-otlp')
STREAM = 'bench-requestshook'


def add_arguments(parser):
    group = parser.add_argument_group('sinks (7)')
    group.add_argument('--sinks-iterations', type=int, default=2000,
                       help='calls per round')
    group.add_argument('--sinks-rounds', type=int, default=11,
                       help='rounds per variant')


def _start_response(status, headers, exc_info=None):
    return None


class Variant(object):
    """One pipeline, how to drain it, and how to count what it recorded."""

    def __init__(self, name, workdir, redis_url, otlp_url):
        self.name = name
        self.redis_url = redis_url
        self.log_path = os.path.join(workdir, 'sinks-%s.log' % name)
        self.recorder = None
        if name.startswith('rh-'):
            sinks = {'rh-file': 'file', 'rh-redis': redis_url,
                     'rh-otlp': 'otlp'}[name]
            config = os.path.join(workdir, 'sinks-%s.conf' % name)
            with open(config, 'w') as stream:
                stream.write(
                    '[DEFAULT]\nlog_file = %s\nfilters_file = %s\n'
                    'sinks = %s\nredis_stream = %s\notlp_endpoint = %s\n'
                    'sink_queue_size = 100000\n' % (
                        self.log_path, os.path.join(workdir, 'none.json'),
                        sinks, STREAM, otlp_url + '/v1/traces'))
            from requestshook.capture import middleware
            self.app = middleware.filter_factory(
                {}, service_name=wrappers.SERVICE_NAME,
                config_file=config)(apps.json_app)
            self.recorder = self.app._recorder
        else:
            self.app = wrappers.pipeline(name, log_path=self.log_path,
                                         redis_url=redis_url)
        self.headers = wrappers.request_headers(name)

    def drain(self):
        if self.recorder is not None:
            for sink in self.recorder._state.sinks.values():
                if not sink.flush(120):
                    raise RuntimeError('%s did not drain' % self.name)
        elif self.name == 'otel-otlp':
            wrappers.flush()

    def recorded(self):
        if self.name == 'rh-redis':
            import redis
            return redis.Redis.from_url(self.redis_url).xlen(STREAM)
        if self.name == 'rh-otlp':
            return wrappers.recorded('otel-otlp', None, None)
        return wrappers.recorded(self.name, self.log_path, self.redis_url)

    def reset(self):
        if os.path.exists(self.log_path):
            os.truncate(self.log_path, 0)
        if self.name in ('rh-otlp', 'otel-otlp'):
            wrappers.reset_recorded('otel-otlp')
        if self.name in ('rh-redis', 'osprofiler'):
            import redis
            redis.Redis.from_url(self.redis_url).flushall()

    def expected(self, calls):
        """Records ``calls`` calls leave (events, spans or redis items)."""
        return {'bare': 0, 'rh-file': 2 * calls, 'rh-redis': 2 * calls,
                'rh-otlp': calls, 'otel-otlp': calls,
                'osprofiler': calls}[self.name]


def _round(variant, calls):
    environs = [apps.json_environ(headers=variant.headers)
                for _ in range(calls)]
    app = variant.app
    wall = time.perf_counter()
    process = time.process_time()
    thread = time.thread_time()
    for environ in environs:
        result = app(environ, _start_response)
        for _chunk in result:
            pass
        close = getattr(result, 'close', None)
        if close is not None:
            close()
    thread = time.thread_time() - thread
    variant.drain()
    process = time.process_time() - process
    wall = time.perf_counter() - wall
    million = 1e6 / calls
    return {'thread': thread * million, 'total': process * million,
            'wall': wall * million}


def measure(iterations, rounds, workdir, redis_url, otlp_url,
            variants=VARIANTS):
    """{variant: {'thread'|'total'|'wall': [us per call per round]}}."""
    made = {name: Variant(name, workdir, redis_url, otlp_url)
            for name in variants}
    for variant in made.values():        # warm-up: imports, connections
        _round(variant, 20)
        variant.reset()
    figures = {name: {'thread': [], 'total': [], 'wall': []}
               for name in variants}
    for _number, name in harness.interleaved(list(variants), rounds):
        variant = made[name]
        result = _round(variant, iterations)
        got = variant.recorded()
        if got < variant.expected(iterations):
            raise RuntimeError('%s recorded %d of %d records' % (
                name, got, variant.expected(iterations)))
        variant.reset()
        for key, value in result.items():
            figures[name][key].append(value)
    return figures


def _added(figures, name, key):
    return harness.median([mine - bare for mine, bare in zip(
        figures[name][key], figures['bare'][key])])


LABELS = {
    'rh-file': 'requestshook, file sink',
    'rh-redis': 'requestshook, redis sink',
    'rh-otlp': 'requestshook, otlp sink',
    'osprofiler': 'osprofiler, redis driver',
    'otel-otlp': 'OTel SDK, OTLP exporter (batch)',
}
NOTES = {
    'thread': 'the calls only, calling thread',
    'total': 'process, sender/exporter threads and drain included',
    'wall': 'calls + drain',
}


def rows(figures):
    result = [harness.row(SECTION, 'bare app: wall',
                          harness.median(figures['bare']['wall']),
                          'us/call', note='median of %d rounds'
                          % len(figures['bare']['wall']))]
    added = {}
    for name in VARIANTS[1:]:
        if name not in figures:
            continue
        for key, label in (('thread', 'request thread CPU'),
                           ('total', 'total CPU'), ('wall', 'wall')):
            added[name, key] = _added(figures, name, key)
            result.append(harness.row(
                SECTION, '%s: %s added' % (LABELS[name], label),
                added[name, key], 'us/call', note=NOTES[key]))
    for mine, peer in (('rh-redis', 'osprofiler'), ('rh-otlp', 'otel-otlp'),
                       ('rh-redis', 'rh-file'), ('rh-otlp', 'rh-file')):
        for key in ('thread', 'total'):
            if (mine, key) in added and (peer, key) in added and \
                    added[peer, key]:
                result.append(harness.row(
                    SECTION, '%s / %s (%s)' % (mine, peer, key),
                    added[mine, key] / added[peer, key], 'ratio'))
    return result


def run(args, workdir):
    with harness.redis_server() as redis_url, \
            harness.otlp_receiver() as otlp_url:
        figures = measure(args.sinks_iterations, args.sinks_rounds, workdir,
                          redis_url, otlp_url)
    return rows(figures)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    import report
    with tempfile.TemporaryDirectory(prefix='requestshook-sinks-') as work:
        table = run(args, work)
    report.print_table(table, ['machine: %s' % harness.machine(),
                               'load average: %s' % harness.load_average()])
    return 0


if __name__ == '__main__':
    sys.exit(main())
