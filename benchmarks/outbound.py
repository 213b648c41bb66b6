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
requests for the whole process:

``none``
    plain requests;
``rh-off``
    requestshook's hook installed, ``enabled = false``;
``rh-on``
    requestshook's hook installed and enabled, writing to a real file;
``otel``
    OpenTelemetry's ``RequestsInstrumentor`` with the SDK tracer and the
    same file exporter as benchmark 1.

Two figures per call: wall time (client + server) and the client's own
CPU time (``time.process_time``), which the server's noise does not
reach.  The cost added is the median over rounds of (variant - none).
"""

import argparse
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
VARIANTS = ('none', 'rh-off', 'rh-on', 'otel')
CLIENT_NAME = 'bench-client'


def add_arguments(parser):
    group = parser.add_argument_group('outbound (2)')
    group.add_argument('--outbound-calls', type=int, default=1500,
                       help='calls per round (default 1500)')
    group.add_argument('--outbound-rounds', type=int, default=5,
                       help='rounds per variant (default 5)')


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
        from requestshook import outbound
        outbound.enable(service_name=CLIENT_NAME, config_file=config_file)
    elif variant == 'otel':
        from opentelemetry.instrumentation import requests as otel_requests
        otel_requests.RequestsInstrumentor().instrument(
            tracer_provider=wrappers.otel_tracer_provider(log_path))


def child(variant, url, calls, config_file, log_path):
    """Time ``calls`` POSTs in this process; return us per call."""
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
    wall = time.perf_counter()
    cpu = time.process_time()
    for _ in range(calls):
        post()
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    return {'wall_us': wall / calls * 1e6, 'cpu_us': cpu / calls * 1e6}


def _run_child(variant, url, calls, workdir):
    log_path = os.path.join(workdir, 'outbound-%s.log' % variant)
    config_file = write_config(os.path.join(workdir, 'outbound-%s.conf'
                                            % variant),
                               log_path, enabled=variant != 'rh-off')
    output = subprocess.run(
        [sys.executable, os.path.abspath(__file__), '--child', variant,
         '--url', url, '--outbound-calls', str(calls),
         '--config-file', config_file, '--log', log_path],
        env=harness.python_env(), check=True, capture_output=True,
        text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    checked = 'bare' if variant == 'none' else variant
    wrappers.check_recorded(checked, log_path, None, calls)
    if os.path.exists(log_path):
        os.unlink(log_path)
    return figures


def measure(variants, calls, rounds, workdir):
    """{variant: {'wall_us': [...], 'cpu_us': [...]}}, one per round."""
    figures = {variant: {'wall_us': [], 'cpu_us': []}
               for variant in variants}
    env = {'BENCH_VARIANT': 'bare', 'BENCH_APP': 'json'}
    with harness.Gunicorn('wrappers:pipeline_from_env()', env,
                          worker_class='gthread', threads=2) as server:
        url = server.url + '/v2/images'
        for _round, variant in harness.interleaved(variants, rounds):
            result = _run_child(variant, url, calls, workdir)
            for key, value in result.items():
                figures[variant][key].append(value)
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
              'otel': 'OTel RequestsInstrumentor'}
    added = {}
    for variant, label in labels.items():
        if variant not in figures:
            continue
        for key, what in (('wall_us', 'wall'), ('cpu_us', 'client CPU')):
            added[variant, key] = _added(figures, variant, key)
            rows.append(harness.row(SECTION, '%s: added %s' % (label, what),
                                    added[variant, key], 'us/call'))
    for key, what in (('wall_us', 'wall'), ('cpu_us', 'client CPU')):
        if ('rh-on', key) in added and ('otel', key) in added and \
                added['otel', key]:
            ratio = added['rh-on', key] / added['otel', key]
            rows.append(harness.row(
                SECTION, 'requestshook / OTel (added %s)' % what, ratio,
                'ratio'))
    return rows


def run(args, workdir, variants=VARIANTS):
    return rows_for(measure(variants, args.outbound_calls,
                            args.outbound_rounds, workdir))


def main():
    import report
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument('--child', choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument('--url', help=argparse.SUPPRESS)
    parser.add_argument('--config-file', help=argparse.SUPPRESS)
    parser.add_argument('--log', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.outbound_calls,
                               args.config_file, args.log)))
        return
    with tempfile.TemporaryDirectory(prefix='bench-outbound-') as workdir:
        report.print_table(run(args, workdir))


if __name__ == '__main__':
    main()
