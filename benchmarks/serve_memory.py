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

"""``requestshook serve``'s memory while it indexes and serves a big log.

    python benchmarks/serve_memory.py                    # 1 GB, in /tmp
    python benchmarks/serve_memory.py --bytes 300000000 --keep-log
    python benchmarks/serve_memory.py --json

It writes a log of at least ``--bytes`` of seed-like flows (the reader
benchmark's generator, binary bodies kept as their 64 first bytes, so a
GB holds tens of thousands of flows, more than the index keeps), starts
``requestshook serve`` on it (127.0.0.1, a free port) and samples the
server's resident memory (VmRSS) while it indexes the log, then while it
serves: the list with filters, flow pages, HAR and markdown downloads,
request id searches, an event stream, and new flows appended to the log
meanwhile.  The same is done on a log ``--small`` times smaller: memory
must not grow with the log's size.  Printed: RSS at each quarter of the
indexing, at the end of it and while serving, and the ratio of the big
log's peak to the small log's (goal: at most 1.25).
"""

import argparse
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
GOAL = 1.25


def generate(path, size):
    import reader_bench
    return reader_bench.generate(path, size, keep=64)


def rss_mib(pid):
    with open('/proc/%d/status' % pid) as stream:
        for line in stream:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return 0.0


TOKEN = secrets.token_urlsafe(32)
AUTHORIZATION = 'Bearer ' + TOKEN


def _get(base, path, timeout=60):
    request = urllib.request.Request(
        base + path, headers={'Authorization': AUTHORIZATION})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _start(path):
    process = subprocess.Popen(
        [sys.executable, '-m', 'requestshook.cmd.main', 'serve', '--log',
         path, '--bind', '127.0.0.1:0'], stdout=subprocess.PIPE,
        cwd=os.path.dirname(HERE),
        env=dict(os.environ, REQUESTSHOOK_SERVE_TOKEN=TOKEN))
    line = process.stdout.readline().decode()
    match = re.search(r'(http://127\.0\.0\.1:\d+/)', line)
    if not match:
        process.kill()
        raise SystemExit('serve did not start: %r' % line)
    return process, match.group(1)


def _sse(base):
    """An event stream held open while serving (the page's)."""
    parts = urllib.parse.urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.sendall(('GET /events HTTP/1.0\r\nHost: 127.0.0.1\r\n'
                  'Authorization: %s\r\n\r\n' % AUTHORIZATION).encode())
    sock.settimeout(0.01)
    return sock


def _drain(sock):
    try:
        while sock.recv(65536):
            pass
    except (socket.timeout, BlockingIOError):
        pass


def measure(path, serve_seconds):
    """Index and serve ``path``; RSS samples and what was done."""
    from requestshook import event
    from requestshook.reading import sample

    process, base = _start(path)
    pid = process.pid
    samples = {'start': rss_mib(pid)}
    peak = samples['start']
    began = time.monotonic()
    quarters = [0.25, 0.5, 0.75]
    try:
        while True:
            data = json.loads(_get(base, 'api/flows?limit=1'))
            rss = rss_mib(pid)
            peak = max(peak, rss)
            progress = data['progress']
            done = progress['read'] / float(progress['total'] or 1)
            while quarters and done >= quarters[0]:
                samples['indexed %d%%' % int(quarters[0] * 100)] = rss
                quarters.pop(0)
            if not progress['indexing']:
                break
            time.sleep(0.25)
        index_seconds = time.monotonic() - began
        samples['indexed 100%'] = rss_mib(pid)
        flows = json.loads(_get(base, 'api/flows'))
        keys = [row['key'] for row in flows['flows']]
        kept, forgotten = flows['total'], flows['forgotten']
        with open(path, 'rb') as stream:
            stream.seek(max(os.path.getsize(path) - 4 * 1024 * 1024, 0))
            tail = stream.read().decode('utf-8', 'replace')
        request_ids = re.findall(r'req-[0-9a-f-]{36}', tail)[-50:]
        sock = _sse(base)
        requests = 0
        appended = 0
        start = 1800000000.0
        serving_began = time.monotonic()
        with open(path, 'ab') as log:
            while time.monotonic() - serving_began < serve_seconds:
                key = random.choice(keys)
                quoted = urllib.parse.quote(key)
                for url in ('api/flows/' + quoted,
                            'api/flows/%s/har' % quoted,
                            'api/flows/%s/markdown' % quoted,
                            'api/flows?service=swift&status=2xx',
                            'api/find?request_id=' +
                            random.choice(request_ids or ['req-x'])):
                    try:
                        _get(base, url)
                    except urllib.error.HTTPError:
                        pass
                    requests += 1
                if requests % 25 == 0:
                    more = sample.image_list(sample.LogMaker(start=start))
                    log.write(b''.join(event.encode(r)
                                       for r in more.events))
                    log.flush()
                    start += 1.0
                    appended += 1
                _drain(sock)
                peak = max(peak, rss_mib(pid))
        samples['serving'] = rss_mib(pid)
        sock.close()
        peak = max(peak, samples['serving'])
    finally:
        process.terminate()
        process.wait(30)
    return {'bytes': os.path.getsize(path), 'index_seconds': index_seconds,
            'flows_kept': kept, 'flows_forgotten': forgotten,
            'requests': requests, 'flows_appended': appended,
            'rss_mib': samples, 'peak_rss_mib': peak}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--bytes', type=int, default=10 ** 9,
                        help='size of the big log (default 1 GB)')
    parser.add_argument('--small', type=int, default=8,
                        help='the small log is this many times smaller')
    parser.add_argument('--serve-seconds', type=float, default=30.0)
    parser.add_argument('--dir', default=None,
                        help='where to write the logs (default: a '
                        'temporary directory under /tmp)')
    parser.add_argument('--keep-log', action='store_true',
                        help='keep (and reuse) the generated logs')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args(argv)
    directory = args.dir or tempfile.mkdtemp(prefix='rh-serve-bench-',
                                             dir='/tmp')
    os.makedirs(directory, exist_ok=True)
    results = {}
    try:
        for name, size in (('small', args.bytes // args.small),
                           ('big', args.bytes)):
            path = os.path.join(directory, 'serve-%d.log' % size)
            if not (args.keep_log and os.path.exists(path)):
                generate(path, size)
            results[name] = measure(path, args.serve_seconds)
    finally:
        if not args.keep_log:
            shutil.rmtree(directory, ignore_errors=True)
    ratio = results['big']['peak_rss_mib'] / results['small']['peak_rss_mib']
    results['peak_ratio'] = ratio
    if args.json:
        print(json.dumps(results))
        return 0
    for name in ('small', 'big'):
        result = results[name]
        print('%s log: %.2f GB, indexed in %.1f s (%.0f MiB/s); %d flows '
              'kept, %d forgotten; %d requests served while %d flows were '
              'appended' % (
                  name, result['bytes'] / 1e9, result['index_seconds'],
                  result['bytes'] / 1048576.0 / result['index_seconds'],
                  result['flows_kept'], result['flows_forgotten'],
                  result['requests'], result['flows_appended']))
        print('  RSS MiB: ' + ', '.join(
            '%s %.1f' % (stage, value)
            for stage, value in result['rss_mib'].items()) +
            '; peak %.1f' % result['peak_rss_mib'])
    print('peak RSS big / small log: %.2f (goal <= %.2f: %s)' % (
        ratio, GOAL, 'yes' if ratio <= GOAL else 'NO'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
