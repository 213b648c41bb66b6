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

"""Benchmark 1: the cost one inbound call pays for each peer.

In process: the WSGI pipeline is called directly, ``--percall-iterations``
calls per round, rounds interleaved across variants; a round's figure is
its mean time per call (spans a BatchSpanProcessor still holds are
exported inside the round: its thread's work counts too), and the cost
added by a variant is the median over rounds of (variant - bare) of the
same round.

Through a server: each variant runs in its own gunicorn (one sync worker)
on 127.0.0.1, all of them at once, and ``wrk`` (one thread, two
connections, so the worker never waits for the client) POSTs the 2 KiB
body to each in turn for ``--server-seconds``, ``--server-rounds`` times.
Two figures per round: wall time per request (1e6 / requests per second)
and the worker's own CPU time per request (user + system, from /proc),
which the other processes on a shared machine disturb less than the wall
time.
"""

import contextlib
import os
import time

import apps
import harness
import wrappers

SECTION_IN = '1 per call, in process'
SECTION_SERVER = '1 per call, gunicorn+wrk, wall'
SECTION_SERVER_CPU = '1 per call, gunicorn worker CPU'


def add_arguments(parser):
    group = parser.add_argument_group('per call (1)')
    group.add_argument('--percall-iterations', type=int, default=2000,
                       help='calls per round in process')
    group.add_argument('--percall-rounds', type=int, default=15,
                       help='rounds in process')
    group.add_argument('--server-seconds', type=int, default=1,
                       help='wrk seconds per round')
    group.add_argument('--server-rounds', type=int, default=12,
                       help='server rounds per variant')
    group.add_argument('--no-server', action='store_true',
                       help='skip the gunicorn+wrk part')
    group.add_argument('--percall-variants', default=','.join(
        wrappers.VARIANTS), help='comma-separated subset of %s' % ', '.join(
            wrappers.VARIANTS))


def _start_response(status, headers, exc_info=None):
    return None


def _time_calls(app, environs):
    """Mean us per call, the export of spans still queued included.

    Each environ is let go once its call is over, as a server lets its
    request go: what a variant hangs on the environ (a wrapped
    ``wsgi.input`` and what it holds) is freed per call, not kept for the
    whole round.
    """
    started = time.perf_counter()
    for index in range(len(environs)):
        environ = environs[index]
        environs[index] = None
        result = app(environ, _start_response)
        for _chunk in result:
            pass
        close = getattr(result, 'close', None)
        if close is not None:
            close()
    wrappers.flush()
    return (time.perf_counter() - started) / len(environs) * 1e6


def _noop_app(environ, start_response):
    start_response('204 No Content', [])
    return []


def disabled_overhead(workdir, calls=200000, repeats=7):
    """us the disabled filter adds to a call of an app that does nothing.

    Best of ``repeats`` loops of ``calls`` with one reused environ: the
    tightest measure there is of the disabled path, for the 2 us goal.
    """
    disabled = wrappers.pipeline('rh-off', app=_noop_app,
                                 log_path=_log_path(workdir, 'tight'))
    environ = apps.json_environ()
    best = {}
    for _ in range(repeats):
        for name, app in (('bare', _noop_app), ('rh-off', disabled)):
            started = time.perf_counter()
            for _call in range(calls):
                app(environ, _start_response)
            elapsed = (time.perf_counter() - started) / calls * 1e6
            best[name] = min(best.get(name, elapsed), elapsed)
    return best['rh-off'] - best['bare']


def _flush_redis(redis_url):
    import redis
    redis.Redis.from_url(redis_url).flushall()


def _log_path(workdir, variant):
    return os.path.join(workdir, 'percall-%s.log' % variant)


def in_process(variants, iterations, rounds, workdir, redis_url):
    """{variant: [us per call, one per round]}."""
    pipelines = {
        variant: wrappers.pipeline(variant,
                                   log_path=_log_path(workdir, variant),
                                   redis_url=redis_url)
        for variant in variants}
    headers = {variant: wrappers.request_headers(variant)
               for variant in variants}
    for variant in variants:     # warm-up: imports, first file open
        _time_calls(pipelines[variant],
                    [apps.json_environ(headers=headers[variant])] * 1)
    figures = {variant: [] for variant in variants}
    for _round, variant in harness.interleaved(variants, rounds):
        environs = [apps.json_environ(headers=headers[variant])
                    for _ in range(iterations)]
        figures[variant].append(_time_calls(pipelines[variant], environs))
        wrappers.check_recorded(variant, _log_path(workdir, variant),
                                redis_url, iterations)
        _truncate(_log_path(workdir, variant))
        wrappers.reset_recorded(variant)
        if variant == 'osprofiler':
            _flush_redis(redis_url)
    return figures


def _truncate(path):
    if os.path.exists(path):
        os.truncate(path, 0)


def through_server(variants, seconds, rounds, workdir, redis_url):
    """{'wall': {variant: [...]}, 'cpu': {variant: [...]}} in us/request.

    Every variant's server runs for the whole benchmark (an idle sync
    worker costs nothing) and wrk visits them in turn, ``seconds`` each,
    ``rounds`` times, so a burst of load from elsewhere spoils one short
    run of each variant rather than every run of one.  ``wall`` is
    1e6 / requests per second; ``cpu`` the worker's user + system CPU
    time per request.
    """
    figures = {'wall': {variant: [] for variant in variants},
               'cpu': {variant: [] for variant in variants}}
    post = harness.wrk_post if harness.WRK else harness.python_post
    with contextlib.ExitStack() as stack:
        servers = {}
        for variant in variants:
            env = {'BENCH_VARIANT': variant, 'BENCH_APP': 'json',
                   'BENCH_LOG': _log_path(workdir, 'server-' + variant),
                   'BENCH_REDIS_URL': redis_url or '',
                   'BENCH_OTLP_URL': wrappers.OTLP_URL or ''}
            server = stack.enter_context(harness.Gunicorn(env))
            headers = dict(wrappers.request_headers(variant),
                           **{'Content-Type': 'application/json'})
            servers[variant] = (server.url + '/v2/images', headers,
                                server.worker())
        for variant in variants:
            url, headers, _worker = servers[variant]
            post(url, apps.REQUEST_BODY, headers, 1)        # warm-up
            _reset_records(variant, workdir, redis_url)
        for _round, variant in harness.interleaved(variants, rounds):
            url, headers, worker = servers[variant]
            cpu = harness.cpu_seconds(worker)
            requests, elapsed = post(url, apps.REQUEST_BODY, headers,
                                     seconds)
            cpu = harness.cpu_seconds(worker) - cpu
            figures['wall'][variant].append(elapsed / requests * 1e6)
            figures['cpu'][variant].append(cpu / requests * 1e6)
            # A BatchSpanProcessor exports later, in its own thread.
            batched = variant in ('otel-batch', 'otel-otlp')
            wrappers.check_recorded(
                variant, _log_path(workdir, 'server-' + variant),
                redis_url, 0 if batched else int(requests * 0.9))
            _reset_records(variant, workdir, redis_url)
    return figures


def _reset_records(variant, workdir, redis_url):
    _truncate(_log_path(workdir, 'server-' + variant))
    wrappers.reset_recorded(variant)
    if variant == 'osprofiler':
        _flush_redis(redis_url)


def _added(figures, variant):
    """Median over rounds of (variant - bare) in the same round."""
    return harness.median([mine - bare for mine, bare in
                           zip(figures[variant], figures['bare'])])


def _ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def rows_for(section, figures, unit='us/call', in_process=False):
    rows = [harness.row(section, '(a) bare app',
                        harness.median(figures['bare']), unit,
                        note='median of %d rounds' % len(figures['bare']))]
    labels = {'rh-off': '(b) requestshook disabled',
              'rh-on': '(c) requestshook enabled, file',
              'osprofiler': '(d) osprofiler + redis',
              'otel-otlp': '(f) OpenTelemetry SDK, OTLP/HTTP',
              'otel': '(e) OTel SDK, console exporter, file',
              'otel-batch': "(e') OTel SDK, console, file, batch"}
    notes = {'rh-on': '2 events/call, both bodies kept',
             'osprofiler': '2 redis LPUSH/call',
             'otel-otlp': 'batch + OTLP/HTTP, flushed in the round',
             'otel': 'SimpleSpanProcessor, 1 JSON span/call',
             'otel-batch': 'BatchSpanProcessor, export in a thread'
             } if in_process else {}
    added = {}
    for variant, label in labels.items():
        if variant not in figures:
            continue
        added[variant] = _added(figures, variant)
        goal, met = '', None
        if variant == 'rh-off' and in_process:
            # Through a server the noise floor is far above 2 us.
            goal, met = '<= 2', added[variant] <= 2
        rows.append(harness.row(section, label + ': added', added[variant],
                                unit, goal, met, notes.get(variant, '')))
    if 'rh-on' in added and 'otel-otlp' in added:
        ratio = _ratio(added['rh-on'], added['otel-otlp'])
        rows.append(harness.row(section, 'requestshook / OTel OTLP (added)',
                                ratio, 'ratio', '<= 0.5' if in_process else '',
                                None if ratio is None or not in_process
                                else ratio <= 0.5))
    if 'rh-on' in added and 'otel' in added:
        rows.append(harness.row(
            section, 'requestshook / OTel console (added)',
            _ratio(added['rh-on'], added['otel']), 'ratio'))
    if 'rh-on' in added and 'otel-batch' in added:
        rows.append(harness.row(
            section, "requestshook / OTel batch (added)",
            _ratio(added['rh-on'], added['otel-batch']), 'ratio'))
    if 'rh-on' in added and 'osprofiler' in added:
        rows.append(harness.row(
            section, 'requestshook / osprofiler (added)',
            _ratio(added['rh-on'], added['osprofiler']), 'ratio'))
    return rows


def run(args, workdir):
    variants = args.percall_variants.split(',')
    if 'bare' not in variants:
        variants.insert(0, 'bare')
    rows = []
    with contextlib.ExitStack() as stack:
        if 'otel-otlp' in variants:
            stack.enter_context(harness.otlp_receiver())
        redis_url = None
        if 'osprofiler' in variants:
            if harness.REDIS_SERVER:
                redis_url = stack.enter_context(harness.redis_server())
            else:
                variants.remove('osprofiler')
                rows.append(harness.row(
                    SECTION_IN, '(d) osprofiler: skipped', None, '',
                    note='redis-server is not installed'))
        figures = in_process(variants, args.percall_iterations,
                             args.percall_rounds, workdir, redis_url)
        in_rows = rows_for(SECTION_IN, figures, in_process=True)
        if 'rh-off' in variants:
            tight = disabled_overhead(workdir)
            in_rows.insert(2, harness.row(
                SECTION_IN, '(b) disabled, tight loop: added', tight,
                'us/call', '<= 2', tight <= 2,
                'no-op app, best of 7 x 200k calls'))
        rows += in_rows
        if not args.no_server:
            figures = through_server(variants, args.server_seconds,
                                     args.server_rounds, workdir, redis_url)
            rows += rows_for(SECTION_SERVER, figures['wall'])
            rows += rows_for(SECTION_SERVER_CPU, figures['cpu'],
                             'us CPU/call')
    return rows


def main():
    import report
    report.run_alone(__doc__, add_arguments, run, 'bench-percall-')


if __name__ == '__main__':
    main()
