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

"""Many processes and threads append to one log at once.

Every line must come out as one whole event: O_APPEND plus one write per
event keeps lines from tearing, whatever the interleaving, also while
logrotate moves the file away.
"""

import collections
import multiprocessing
import os
import threading
import time

import pytest

from requestshook import event
from requestshook.recording import recorder

PROCESSES = 4
THREADS = 4
EVENTS = 2000
BIG = 100 * 1024


def _size(seq):
    # Mostly small events, every 16th up to ~100 KB.
    if seq % 16 == 0:
        return (seq * 7919) % BIG + 1
    return (seq * 131) % 2000 + 1


def _head(proc, thread, seq):
    size = _size(seq)
    text = ('%d-%d-%d|' % (proc, thread, seq)).encode()
    return (text * (size // len(text) + 1))[:size]


def _event(proc, thread, seq):
    head = _head(proc, thread, seq)
    size = len(head)
    made = event.request_event(
        event.CLIENT, '%032x' % seq, '%032x' % proc, None,
        'proc-%d' % proc, 'thread-%d' % thread, 'PUT',
        'http://127.0.0.1:9/%d/%d/%d' % (proc, thread, seq),
        [('X-Auth-Token', 'token-%d' % seq)],
        event.body_record(head, size, 'text/plain'))
    return made


def _writer(log_file, proc, events, stop, counts):
    made = recorder.Recorder('/nonexistent/requestshook.conf',
                             {'log_file': log_file})

    def run(thread):
        seq = 0
        while (events is None and not stop.is_set()) or \
                (events is not None and seq < events):
            made.emit(_event(proc, thread, seq))
            seq += 1
        counts.put((proc, thread, seq))
    threads = [threading.Thread(target=run, args=(thread,))
               for thread in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    made.close()


def _run(log_file, events=None, while_running=None):
    context = multiprocessing.get_context('fork')
    stop = context.Event()
    counts = context.Queue()
    procs = [context.Process(target=_writer,
                             args=(log_file, proc, events, stop, counts))
             for proc in range(PROCESSES)]
    for proc in procs:
        proc.start()
    try:
        if while_running:
            while_running()
    finally:
        stop.set()
        written = [counts.get(timeout=300)
                   for _ in range(PROCESSES * THREADS)]
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
    assert all(proc.exitcode == 0 for proc in procs)
    return {(proc, thread): total for proc, thread, total in written}


def _read(paths):
    seen = collections.defaultdict(set)
    for path in paths:
        with open(path, 'rb') as stream:
            for line in stream:
                assert line.endswith(b'\n')
                decoded = event.decode(line)
                proc = int(decoded['from'].split('-')[1])
                thread = int(decoded['to'].split('-')[1])
                seq = int(decoded['id'], 16)
                body = decoded['body']
                assert body['size'] == _size(seq)
                assert body['data'].encode() == _head(proc, thread, seq)
                assert decoded['headers'][0][1].startswith('{SHA256}')
                assert seq not in seen[(proc, thread)], 'duplicate line'
                seen[(proc, thread)].add(seq)
    return seen


def test_every_line_is_a_whole_event(tmp_path):
    log_file = str(tmp_path / 'log' / 'requestshook.log')
    written = _run(log_file, events=EVENTS)
    assert set(written.values()) == {EVENTS}
    seen = _read([log_file])
    assert len(seen) == PROCESSES * THREADS
    for key, seqs in seen.items():
        assert seqs == set(range(EVENTS)), key


def test_no_event_lost_or_torn_across_logrotate(tmp_path):
    log_file = str(tmp_path / 'requestshook.log')
    rotated = []

    def rotate_three_times():
        for number in range(1, 4):
            _wait_for_lines(log_file)
            target = '%s.%d' % (log_file, number)
            os.rename(log_file, target)
            rotated.append(target)
        _wait_for_lines(log_file)

    written = _run(log_file, while_running=rotate_three_times)
    seen = _read(rotated + [log_file])
    assert {key: len(seqs) for key, seqs in seen.items()} == written
    for key, seqs in seen.items():
        assert seqs == set(range(written[key])), key


def _wait_for_lines(path, limit=120.0):
    # The writers reopen a moved log within a second or so; a log that
    # never reappears is a failure, not a reason to hang.
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if os.path.getsize(path) > 0:
                return
        except OSError:
            pass
        time.sleep(0.05)
    pytest.fail('%s was not reopened' % path)
