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

"""Benchmark 2: the cost one outbound python-requests call pays.

A ``requests.Session`` POSTs the 2 KiB JSON body to the bare app in a
local gunicorn (gthread worker, so the session keeps its connection).
Each variant runs in its own child process, because every peer patches
requests for the whole process; the children live for the whole benchmark
and take turns, a batch of ``--outbound-calls`` each, ``--outbound-rounds``
times:

``none``
    plain requests;
``rh-off``
    requestshook's hook installed, ``enabled = false``;
``rh-on``
    requestshook's hook installed and enabled, writing to a real file;
``otel-otlp``
    OpenTelemetry's ``RequestsInstrumentor`` as operators run it: the SDK
    tracer, a ``BatchSpanProcessor`` and the OTLP/HTTP exporter sending to
    a local receiver in a process of its own; the batch is flushed inside
    every timed batch of calls, so the export counts.  The goal's peer.
``otel``
    the same instrumentation with benchmark 1's console exporter writing
    JSON to a file (an extra row: pretty much a worst case for OTel).

Two figures per call: wall time (client + server) and the client's own
CPU time (``time.process_time``: every thread of the client, OTel's
export thread included), which the server's noise does not reach.  The
cost added is the median over batches of (variant - none) in the same
round.

The clients are pinned to one CPU, the server and the OTLP receiver to
another (``--outbound-no-pin`` leaves placement to the scheduler): every
variant then runs where the others ran, on the same CPU's caches.

Each child process carries a bias of its own (two plain children read
up to 17 us of client CPU apart, the same one way through a run):
``--outbound-children`` children per variant take the rounds in turn,
so a variant's figure is not one process's.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

import apps
import harness
import wrappers

SECTION = '2 outbound requests'
VARIANTS = ('none', 'rh-off', 'rh-on', 'otel-otlp', 'otel')
CLIENT_NAME = 'bench-client'


def add_arguments(parser):
    group = parser.add_argument_group('outbound (2)')
    group.add_argument('--outbound-calls', type=int, default=250,
                       help='calls per batch')
    group.add_argument('--outbound-rounds', type=int, default=24,
                       help='batches per variant')
    group.add_argument('--outbound-children', type=int, default=3,
                       help='child processes per variant, taking the '
                            'rounds in turn')
    group.add_argument('--outbound-no-pin', action='store_true',
                       help='leave the clients, the server and the OTLP '
                            'receiver to the scheduler')


def write_config(path, log_path, enabled):
    """A requestshook.conf for the hook: its own log, no filters file."""
    with open(path, 'w') as config:
        config.write('[DEFAULT]\nenabled = %s\nservice_name = %s\n'
                     'log_file = %s\nfilters_file = %s\n'
                     % ('true' if enabled else 'false', CLIENT_NAME,
                        log_path, path + '.filters.json'))
    return path


def _instrument(variant, config_file, log_path):
    if variant in ('rh-off', 'rh-on'):
        from requestshook.capture import outbound
        outbound.enable(service_name=CLIENT_NAME, config_file=config_file)
    elif variant in ('otel', 'otel-otlp'):
        from opentelemetry.instrumentation import requests as otel_requests
        processor = 'otlp' if variant == 'otel-otlp' else 'simple'
        otel_requests.RequestsInstrumentor().instrument(
            tracer_provider=wrappers.otel_tracer_provider(log_path,
                                                          processor))


def child(variant, url, config_file, log_path, commands, answers):
    """Serve batches: read a call count a line, answer its timings.

    Each answer is a JSON line ``{"wall_us": .., "cpu_us": ..}`` per
    call; an empty line ends the child.
    """
    _instrument(variant, config_file, log_path)
    import requests
    session = requests.Session()
    headers = {'Content-Type': 'application/json'}

    def post():
        response = session.post(url, data=apps.REQUEST_BODY,
                                headers=headers)
        if response.status_code != 200 or len(response.content) != len(
                apps.RESPONSE_BODY):
            raise RuntimeError('bad answer %d' % response.status_code)

    for _ in range(50):
        post()
    answers.write('ready\n')
    answers.flush()
    for line in commands:
        if not line.strip():
            break
        calls = int(line)
        wall = time.perf_counter()
        cpu = time.process_time()
        for _ in range(calls):
            post()
        wrappers.flush()
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        answers.write(json.dumps({'wall_us': wall / calls * 1e6,
                                  'cpu_us': cpu / calls * 1e6}) + '\n')
        answers.flush()


class Client(object):
    """One child process calling the server with one variant's hook."""

    def __init__(self, variant, url, workdir, cpu=None):
        self.variant = variant
        self.log_path = os.path.join(workdir, 'outbound-%s.log' % variant)
        config_file = write_config(
            os.path.join(workdir, 'outbound-%s.conf' % variant),
            self.log_path, enabled=variant != 'rh-off')
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), '--child', variant,
             '--url', url, '--config-file', config_file,
             '--log', self.log_path],
            env=harness.python_env(BENCH_OTLP_URL=wrappers.OTLP_URL or ''),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        if cpu is not None:
            os.sched_setaffinity(self.process.pid, {cpu})
        self.calls = 0
        if self.process.stdout.readline().strip() != 'ready':
            self.close()
            raise RuntimeError('outbound client %s did not start' % variant)

    def batch(self, calls):
        self.process.stdin.write('%d\n' % calls)
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError('outbound client %s died' % self.variant)
        self.calls += calls
        return json.loads(answer)

    def check(self, calls=None):
        """The calls made were recorded (none when off or plain).

        ``calls``: what all the children sharing this one's log made.
        """
        checked = 'bare' if self.variant == 'none' else self.variant
        wrappers.check_recorded(checked, self.log_path, None,
                                self.calls if calls is None else calls)

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write('\n')
                self.process.stdin.flush()
                self.process.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                harness.stop_process(self.process)


def pinned_cpus():
    """(clients' CPU, servers' CPU): two of the CPUs allowed, else None."""
    allowed = sorted(os.sched_getaffinity(0))
    return tuple(allowed[:2]) if len(allowed) >= 2 else None


def measure(variants, calls, rounds, workdir, cpus=None, children=1):
    """{variant: {'wall_us': [...], 'cpu_us': [...]}}, one per round.

    Every variant's clients live for the whole benchmark and they take
    turns, a batch of ``calls`` each, so they share the same load; a
    variant's ``children`` clients take its rounds in turn.  ``cpus``
    (clients' CPU, server's CPU), when given, pins them there.
    """
    figures = {variant: {'wall_us': [], 'cpu_us': []}
               for variant in variants}
    env = {'BENCH_VARIANT': 'bare', 'BENCH_APP': 'json'}
    with harness.Gunicorn(env,
                          worker_class='gthread', threads=2) as server, \
            contextlib.ExitStack() as stack:
        url = server.url + '/v2/images'
        if cpus:
            for process in (server.process, server.worker()):
                os.sched_setaffinity(process.pid, {cpus[1]})
        clients = {}
        for variant in variants:
            clients[variant] = []
            for _ in range(max(1, children)):
                client = Client(variant, url, workdir,
                                cpus[0] if cpus else None)
                stack.callback(client.close)
                clients[variant].append(client)
        for number, variant in harness.interleaved(variants, rounds):
            mine = clients[variant]
            result = mine[number % len(mine)].batch(calls)
            for key, value in result.items():
                figures[variant][key].append(value)
        for mine in clients.values():
            # The children of a variant share its log (or receiver).
            mine[0].check(sum(client.calls for client in mine))
    return figures


def _added(figures, variant, key):
    return harness.median([mine - none for mine, none in zip(
        figures[variant][key], figures['none'][key])])


def rows_for(figures):
    rows = [
        harness.row(SECTION, 'none: wall',
                    harness.median(figures['none']['wall_us']), 'us/call',
                    note='median of %d rounds'
                    % len(figures['none']['wall_us'])),
        harness.row(SECTION, 'none: client CPU',
                    harness.median(figures['none']['cpu_us']), 'us/call')]
    labels = {'rh-off': 'requestshook disabled', 'rh-on': 'requestshook',
              'otel-otlp': 'OTel RequestsInstrumentor, OTLP',
              'otel': 'OTel RequestsInstrumentor, console'}
    added = {}
    for variant, label in labels.items():
        if variant not in figures:
            continue
        for key, what in (('wall_us', 'wall'), ('cpu_us', 'client CPU')):
            added[variant, key] = _added(figures, variant, key)
            rows.append(harness.row(SECTION, '%s: added %s' % (label, what),
                                    added[variant, key], 'us/call'))
    for key, what in (('wall_us', 'wall'), ('cpu_us', 'client CPU')):
        for peer, name in (('otel-otlp', 'OTel OTLP'),
                           ('otel', 'OTel console')):
            if ('rh-on', key) not in added or (peer, key) not in added or \
                    not added[peer, key]:
                continue
            ratio = added['rh-on', key] / added[peer, key]
            goal, met = '', None
            if peer == 'otel-otlp':
                goal, met = '<= 0.5', ratio <= 0.5
            rows.append(harness.row(
                SECTION, 'requestshook / %s (added %s)' % (name, what),
                ratio, 'ratio', goal, met))
    return rows


def run(args, workdir, variants=VARIANTS):
    cpus = None if getattr(args, 'outbound_no_pin', False) else \
        pinned_cpus()
    with contextlib.ExitStack() as stack:
        if 'otel-otlp' in variants:
            stack.enter_context(harness.otlp_receiver(
                cpu=cpus[1] if cpus else None))
        return rows_for(measure(
            variants, args.outbound_calls, args.outbound_rounds, workdir,
            cpus, getattr(args, 'outbound_children', 1)))


def main():
    import report
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_arguments(parser)
    parser.add_argument('--child', choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument('--url', help=argparse.SUPPRESS)
    parser.add_argument('--config-file', help=argparse.SUPPRESS)
    parser.add_argument('--log', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.config_file, args.log, sys.stdin,
              sys.stdout)
        return
    with tempfile.TemporaryDirectory(prefix='bench-outbound-') as workdir:
        report.print_table(run(args, workdir))


if __name__ == '__main__':
    main()
