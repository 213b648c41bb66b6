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

"""What logrotate's ``copytruncate`` costs the shared log: torn, lost lines.

Writer processes append numbered lines through :class:`SharedLog` as fast
as they can while this process rotates the log the way ``copytruncate``
does: copy the file in small reads, then truncate it to zero.  Printed:
per rotation, lines in the copy, torn lines in the copy and in the live
file, and lines lost (written, found in neither).  Compare with the
default ``create`` mode (``--mode create``: rename, the writers reopen),
which must lose and tear nothing.

    python benchmarks/copytruncate.py [--writers 4] [--rotations 20]
"""

import argparse
import json
import multiprocessing
import os
import shutil
import tempfile
import time

from requestshook.recording import sharedlog

COPY_CHUNK = 8192
BIG = 100 * 1024


def _writer(path, number, stop, counts):
    log = sharedlog.SharedLog(path)
    seq = 0
    while not stop.is_set():
        # Mostly small events, every 16th up to ~100 KB, as bodies make.
        size = (seq * 7919) % BIG if seq % 16 == 0 else (seq * 131) % 2000
        pad = 'x' * (200 + size)
        line = json.dumps({'w': number, 'seq': seq, 'pad': pad}) + '\n'
        if log.write(line.encode()):
            seq += 1
    log.close()
    counts.put((number, seq))


def _copytruncate(path, target):
    with open(path, 'rb+') as live, open(target, 'wb') as copy:
        shutil.copyfileobj(live, copy, COPY_CHUNK)
        live.truncate(0)


def _lines(path):
    whole, torn = set(), 0
    with open(path, 'rb') as stream:
        for line in stream:
            try:
                if not line.endswith(b'\n'):
                    raise ValueError('no newline')
                record = json.loads(line)
                whole.add((record['w'], record['seq']))
            except ValueError:
                torn += 1
    return whole, torn


def run(writers, rotations, interval, mode):
    folder = tempfile.mkdtemp(prefix='requestshook-copytruncate-')
    path = os.path.join(folder, 'requestshook.log')
    context = multiprocessing.get_context('fork')
    stop = context.Event()
    counts = context.Queue()
    procs = [context.Process(target=_writer,
                             args=(path, number, stop, counts))
             for number in range(writers)]
    for proc in procs:
        proc.start()
    copies = []
    try:
        for number in range(1, rotations + 1):
            time.sleep(interval)
            target = '%s.%d' % (path, number)
            if mode == 'copytruncate':
                _copytruncate(path, target)
            else:
                os.rename(path, target)
            copies.append(target)
        time.sleep(max(interval, 1.5))    # let writers reopen (create)
    finally:
        stop.set()
        written = dict(counts.get(timeout=120) for _ in procs)
        for proc in procs:
            proc.join(timeout=60)
    seen = set()
    rows = []
    for copy in copies:
        whole, torn = _lines(copy)
        seen |= whole
        rows.append((os.path.basename(copy), len(whole), torn))
    live_whole, live_torn = _lines(path)
    seen |= live_whole
    total = sum(written.values())
    shutil.rmtree(folder, ignore_errors=True)
    return rows, live_torn, total, total - len(seen)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--writers', type=int, default=4)
    parser.add_argument('--rotations', type=int, default=20)
    parser.add_argument('--interval', type=float, default=0.25,
                        help='seconds between rotations')
    parser.add_argument('--mode', choices=['copytruncate', 'create'],
                        default='copytruncate')
    args = parser.parse_args()
    rows, live_torn, total, lost = run(args.writers, args.rotations,
                                       args.interval, args.mode)
    print('%-26s %8s %6s' % ('rotated copy', 'lines', 'torn'))
    for name, whole, torn in rows:
        print('%-26s %8d %6d' % (name, whole, torn))
    torn = sum(row[2] for row in rows)
    print('%s, %d writers: %d rotations, %d lines written, %d torn in the '
          'copies (%d of %d copies), %d torn in the live file, %d lost '
          '(%.3f%%)' % (args.mode, args.writers, len(rows), total, torn,
                        sum(1 for row in rows if row[2]), len(rows),
                        live_torn, lost, 100.0 * lost / max(total, 1)))


if __name__ == '__main__':
    main()
