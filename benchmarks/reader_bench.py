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

"""How fast the reader streams a big log, against a bare json.loads loop.

    python benchmarks/reader_bench.py                 # 1 GB, in a temp dir
    python benchmarks/reader_bench.py --bytes 200000000 --dir /var/tmp
    python benchmarks/reader_bench.py --json          # one JSON line

It writes a log of at least ``--bytes`` of realistic events (seed-like
``image create`` and ``image list`` flows from
:mod:`requestshook.reading.sample`, two flows at a time interleaved, a
64 KiB head of each binary upload kept), then times, each in its own
process and best of ``--rounds``:

* ``json``: ``for line in file: json.loads(line)``, the floor any reader
  pays;
* ``reader``: what ``requestshook diagram`` does: one streaming pass that
  builds every flow's summary and keeps the last flow's events, then that
  flow's call tree.

It prints the reader's throughput as a ratio to the json loop's (goal:
at least 0.7) and both processes' peak RSS.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

GOAL = 0.7


def generate(path, size, keep=64 * 1024):
    """Write at least ``size`` bytes of events to ``path``."""
    from requestshook import event
    from requestshook.reading import sample

    written = events = flows = 0
    start = 1700000000.0
    with open(path, 'wb') as stream:
        while written < size:
            first = sample.image_create(sample.LogMaker(start=start))
            for record in first.events:
                body = record.get('request_body')
                if body and body.get('kind') == event.BODY_BINARY:
                    record['request_body'] = sample.image_body(
                        body['size'], keep)
            second = sample.image_list(sample.LogMaker(start=start + 0.002))
            records = sorted(first.events + second.events,
                             key=lambda record: record['ts'])
            chunk = b''.join(event.encode(record) for record in records)
            stream.write(chunk)
            written += len(chunk)
            events += len(records)
            flows += 2
            start += 2.0
    return {'bytes': written, 'events': events, 'flows': flows}


def _peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_json(path):
    begun = time.perf_counter()
    lines = 0
    with open(path, 'rb') as stream:
        for line in stream:
            json.loads(line)
            lines += 1
    return {'seconds': time.perf_counter() - begun, 'lines': lines,
            'peak_rss_mib': _peak_rss_mib()}


def child_reader(path):
    from requestshook.reading import index
    from requestshook.reading import source

    begun = time.perf_counter()
    reader = source.LogSource([path])
    flow, summaries = index.load_flow(reader, 'last')
    seconds = time.perf_counter() - begun
    return {'seconds': seconds, 'flows': len(summaries),
            'hops_in_last_flow': len(flow), 'skipped': reader.skipped,
            'peak_rss_mib': _peak_rss_mib()}


CHILDREN = {'json': child_json, 'reader': child_reader}


def _run_child(kind, path):
    done = subprocess.run([sys.executable, os.path.abspath(__file__),
                           '--child', kind, path],
                          stdout=subprocess.PIPE, check=True)
    return json.loads(done.stdout)


def measure(path, rounds=2):
    """Best-of-``rounds`` figures of both loops over ``path``."""
    results = {'json': [], 'reader': []}
    for _ in range(rounds):
        for kind in ('json', 'reader'):
            results[kind].append(_run_child(kind, path))
    best = {kind: min(runs, key=lambda r: r['seconds'])
            for kind, runs in results.items()}
    size = os.path.getsize(path)
    mib = 1024.0 * 1024.0
    return {
        'bytes': size,
        'lines': best['json']['lines'],
        'flows': best['reader']['flows'],
        'json_seconds': best['json']['seconds'],
        'reader_seconds': best['reader']['seconds'],
        'json_mib_per_s': size / mib / best['json']['seconds'],
        'reader_mib_per_s': size / mib / best['reader']['seconds'],
        'ratio': best['json']['seconds'] / best['reader']['seconds'],
        'goal': GOAL,
        'json_peak_rss_mib': best['json']['peak_rss_mib'],
        'reader_peak_rss_mib': max(r['peak_rss_mib']
                                   for r in results['reader']),
        'rounds': rounds,
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--bytes', type=int, default=10 ** 9,
                        help='least size of the generated log')
    parser.add_argument('--dir', help='where to write the log (default: a '
                        'temporary directory, removed after)')
    parser.add_argument('--log', help='measure this existing log instead '
                        'of generating one')
    parser.add_argument('--binary-head', type=int, default=64 * 1024,
                        help='bytes kept of each binary upload (the '
                        'capture side\'s max_body_bytes); smaller makes '
                        'more, smaller events per GB')
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--json', action='store_true',
                        help='print the figures as one JSON object')
    parser.add_argument('--child', nargs=2, metavar=('KIND', 'PATH'),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def report(figures, stream=sys.stdout):
    stream.write(
        'log: %(bytes)d bytes, %(lines)d events, %(flows)d flows\n'
        'json.loads loop: %(json_seconds).2f s (%(json_mib_per_s).1f MiB/s),'
        ' peak RSS %(json_peak_rss_mib).1f MiB\n'
        'reader:          %(reader_seconds).2f s '
        '(%(reader_mib_per_s).1f MiB/s), peak RSS '
        '%(reader_peak_rss_mib).1f MiB\n'
        'throughput ratio reader / json.loads: %(ratio).2f '
        '(goal >= %(goal).1f)\n' % figures)


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        kind, path = args.child
        sys.stdout.write(json.dumps(CHILDREN[kind](path)) + '\n')
        return 0
    if args.log:
        figures = measure(args.log, args.rounds)
    else:
        with tempfile.TemporaryDirectory(prefix='requestshook-reader-',
                                         dir=args.dir) as work:
            path = os.path.join(work, 'requestshook.log')
            begun = time.perf_counter()
            made = generate(path, args.bytes, args.binary_head)
            sys.stderr.write('generated %d bytes (%d events) in %.0f s\n' % (
                made['bytes'], made['events'], time.perf_counter() - begun))
            figures = measure(path, args.rounds)
    if args.json:
        sys.stdout.write(json.dumps(figures) + '\n')
    else:
        report(figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())
