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

"""Run requestshook's benchmarks and print one table of figures and ratios.

    python benchmarks/run.py                    # all six (tox -e bench)
    python benchmarks/run.py --only percall,streaming
    python benchmarks/run.py --quick            # small sizes, a smoke run

Every figure comes from this one run on this one machine; see
benchmarks/README.rst for what each means.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import outbound  # noqa: E402
import percall  # noqa: E402
import redaction  # noqa: E402
import report  # noqa: E402
import rpc  # noqa: E402
import sharedlog  # noqa: E402
import sinks  # noqa: E402
import streaming  # noqa: E402

SECTION_READER = '5 reader'
READER_BENCH = os.path.join(harness.BENCH_DIR, 'reader_bench.py')


class ReaderBench(object):
    """Benchmark 5 is benchmarks/reader_bench.py, the reader's own."""

    @staticmethod
    def add_arguments(parser):
        group = parser.add_argument_group('reader (5)')
        group.add_argument('--reader-bytes', type=int, default=10 ** 9,
                           help='size of the generated log')
        group.add_argument('--reader-rounds', type=int, default=2,
                           help='rounds, best taken')

    @staticmethod
    def run(args, workdir):
        if not os.path.exists(READER_BENCH):
            raise RuntimeError('benchmarks/reader_bench.py is missing')
        output = subprocess.run(
            [sys.executable, READER_BENCH, '--json', '--bytes',
             str(args.reader_bytes), '--rounds', str(args.reader_rounds),
             '--dir', workdir],
            check=True, stdout=subprocess.PIPE, text=True).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        ratio = figures['ratio']
        note = '%.2f GB, %d events, %d flows, best of %d' % (
            figures['bytes'] / 1e9, figures['lines'], figures['flows'],
            figures['rounds'])
        return [
            harness.row(SECTION_READER, 'bare json.loads loop',
                        figures['json_mib_per_s'], 'MiB/s', note=note),
            harness.row(SECTION_READER, 'reader: flows + last flow tree',
                        figures['reader_mib_per_s'], 'MiB/s'),
            harness.row(SECTION_READER, 'reader / json.loads', ratio,
                        'ratio', '>= %.1f' % figures['goal'],
                        ratio >= figures['goal']),
            harness.row(SECTION_READER, 'reader: peak RSS',
                        figures['reader_peak_rss_mib'], 'MiB',
                        note='json.loads loop: %.1f MiB' % figures[
                            'json_peak_rss_mib']),
        ]


BENCHMARKS = {
    'percall': percall,
    'outbound': outbound,
    'streaming': streaming,
    'sharedlog': sharedlog,
    'reader': ReaderBench,
    'rpc': rpc,
    'sinks': sinks,
    'redaction': redaction,
}

QUICK = {
    'percall_iterations': 300, 'percall_rounds': 3, 'server_seconds': 1,
    'server_rounds': 1, 'outbound_calls': 200, 'outbound_rounds': 1,
    'stream_bytes': 64 << 20, 'stream_rounds': 1, 'sharedlog_events': 8000,
    'reader_bytes': 20 * 10 ** 6, 'reader_rounds': 1,
    'rpc_messages': 50, 'rpc_rounds': 1,
    'sinks_iterations': 300, 'sinks_rounds': 2,
    'redaction_rounds': 3,
}


def parser():
    result = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    result.add_argument('--only', default=','.join(BENCHMARKS),
                        help='comma-separated subset of: %s'
                        % ', '.join(BENCHMARKS))
    result.add_argument('--quick', action='store_true',
                        help='small sizes and one round: checks that '
                        'everything runs, the figures mean little')
    result.add_argument('--output', help='also write the table here')
    for module in BENCHMARKS.values():
        module.add_arguments(result)
    return result


def parse_args(argv=None):
    arguments = parser()
    args = arguments.parse_args(argv)
    if args.quick:
        arguments.set_defaults(**QUICK)
        args = arguments.parse_args(argv)
    unknown = set(args.only.split(',')) - set(BENCHMARKS)
    if unknown:
        arguments.error('unknown benchmark(s): %s' % ', '.join(sorted(
            unknown)))
    return args


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    load_before = harness.load_average()
    rows = []
    failed = []
    with tempfile.TemporaryDirectory(prefix='requestshook-bench-') as work:
        for name in args.only.split(','):
            print('running %s ...' % name, file=sys.stderr, flush=True)
            begun = time.monotonic()
            try:
                rows += BENCHMARKS[name].run(args, work)
            except Exception as exc:
                traceback.print_exc()
                failed.append(name)
                rows.append(harness.row(name, 'FAILED', None, '',
                                        note='%s: %s' % (
                                            type(exc).__name__, exc)))
            print('  %s took %.0f s, load %s' % (
                name, time.monotonic() - begun, harness.load_average()),
                file=sys.stderr, flush=True)
    preamble = [
        'requestshook benchmarks, %s' % datetime.datetime.now(
            datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'machine: %s' % harness.machine(),
        'load average (1/5/15 min): %s before, %s after; %.0f s in all%s'
        % (load_before, harness.load_average(), time.monotonic() - started,
           ' (--quick)' if args.quick else ''),
    ]
    report.print_table(rows, preamble)
    if args.output:
        with open(args.output, 'w') as output:
            report.print_table(rows, preamble, output)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
