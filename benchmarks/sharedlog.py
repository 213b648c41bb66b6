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

"""Benchmark 4: many writers appending to the one shared log.

``--sharedlog-processes`` processes of ``--sharedlog-threads`` threads
each emit ``--sharedlog-events`` response events in all through the real
recorder (``requestshook.recording.recorder.get_recorder``: redaction,
encoding, the shared log's ``O_APPEND`` writes).  Most events carry a
2 KiB JSON body; every ``LARGE_EVERY``-th a 60 KiB text body, far above
PIPE_BUF, so a writer that tore lines would show it.  Each event names
its writer and sequence number in its URL.

Afterwards every line is decoded: a line that does not decode is torn
(goal 0), and every (process, thread, number) must appear exactly once.
The same layout with only ``event.encode`` and a bare ``os.write`` gives
the ceiling the recorder is compared with.
"""

import collections
import multiprocessing
import os
import threading
import time

import apps

from requestshook import event as rh_event

SECTION = '4 shared log'
LARGE_EVERY = 100
WRITERS = ('recorder', 'raw')


def add_arguments(parser):
    group = parser.add_argument_group('shared log (4)')
    group.add_argument('--sharedlog-events', type=int, default=200000,
                       help='events in all')
    group.add_argument('--sharedlog-processes', type=int, default=8,
                       help='writer processes')
    group.add_argument('--sharedlog-threads', type=int, default=4,
                       help='writer threads per process')


_SMALL_BODY = rh_event.body_record(apps.RESPONSE_BODY, len(apps.RESPONSE_BODY),
                                   'application/json')
_LARGE_BODY = rh_event.body_record(b'y' * 60000, 60000, 'text/plain')
_HEADERS = [('Content-Type', 'application/json'),
            ('X-Auth-Token', 'gAAAAABbenchmarktokenvalue'),
            ('X-Openstack-Request-Id', 'req-5f1b7d0e-3c1e-4b8a-9d55')]


def _event(process, thread, number):
    body = _LARGE_BODY if number % LARGE_EVERY == 0 else _SMALL_BODY
    return rh_event.response_event(
        rh_event.SERVER, rh_event.new_id(), rh_event.new_id(), None,
        'openstack', 'bench-api', 'POST',
        'http://127.0.0.1:9292/bench/%d/%d/%d' % (process, thread, number),
        200, 'OK', _HEADERS, body, 1.5)


def _writer_function(kind, log_path, config_file):
    if kind == 'recorder':
        from requestshook.recording import recorder
        emit = recorder.get_recorder(
            config_file, {'log_file': log_path,
                          'service_name': 'bench-api'}).emit
        return emit
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)

    def write(event):
        os.write(fd, rh_event.encode(event))
    return write


def _process(kind, process, threads, per_thread, log_path, config_file,
             go, results):
    emit = _writer_function(kind, log_path, config_file)

    def work(thread):
        for number in range(per_thread):
            emit(_event(process, thread, number))

    workers = [threading.Thread(target=work, args=(number,))
               for number in range(threads)]
    go.wait()
    started = time.time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put((started, time.time()))


def append(kind, log_path, config_file, processes, threads, events):
    """Run the writers; return (events written, seconds)."""
    context = multiprocessing.get_context('fork')
    go = context.Event()
    results = context.Queue()
    per_thread = events // (processes * threads)
    children = [context.Process(target=_process, args=(
        kind, number, threads, per_thread, log_path, config_file, go,
        results)) for number in range(processes)]
    for child in children:
        child.start()
    try:
        time.sleep(0.5)     # let every child import and get ready
        go.set()
        spans = [results.get(timeout=600) for _ in children]
    finally:
        for child in children:
            child.join(60)
            if child.is_alive():
                child.terminate()
    seconds = max(end for _, end in spans) - min(start for start, _ in spans)
    return per_thread * processes * threads, seconds


def check(log_path, processes, threads, per_thread):
    """(lines, torn lines, missing or repeated events)."""
    seen = collections.Counter()
    lines = torn = 0
    with open(log_path, 'rb') as log:
        for line in log:
            lines += 1
            try:
                event = rh_event.decode(line)
                if not line.endswith(b'\n'):
                    raise ValueError('no newline')
            except ValueError:
                torn += 1
                continue
            seen[event['url'].rsplit('/bench/', 1)[1]] += 1
    wrong = sum(1 for count in seen.values() if count != 1)
    wrong += sum(1 for process in range(processes)
                 for thread in range(threads)
                 for number in range(per_thread)
                 if '%d/%d/%d' % (process, thread, number) not in seen)
    return lines, torn, wrong


def measure(workdir, processes, threads, events):
    """{writer: (events/s, MB/s, lines, torn, wrong)}."""
    config_file = os.path.join(workdir, 'sharedlog.conf')
    with open(config_file, 'w') as config:
        config.write('[DEFAULT]\nfilters_file = %s\n'
                     % os.path.join(workdir, 'no-filters.json'))
    figures = {}
    for kind in WRITERS:
        log_path = os.path.join(workdir, 'shared-%s.log' % kind)
        written, seconds = append(kind, log_path, config_file, processes,
                                  threads, events)
        size = os.path.getsize(log_path)
        lines, torn, wrong = check(log_path, processes, threads,
                                   written // (processes * threads))
        os.unlink(log_path)
        figures[kind] = (written / seconds, size / seconds / 1e6, lines,
                         torn, wrong)
    return figures


def rows_for(figures, processes, threads):
    import harness
    layout = '%d processes x %d threads' % (processes, threads)
    rate, mbps, lines, torn, wrong = figures['recorder']
    raw_rate = figures['raw'][0]
    return [
        harness.row(SECTION, 'recorder: events/s', rate, 'events/s',
                    note='%s, %.0f MB/s' % (layout, mbps)),
        harness.row(SECTION, 'bare os.write: events/s', raw_rate,
                    'events/s', note='event.encode + os.write only'),
        harness.row(SECTION, 'recorder / bare os.write', rate / raw_rate,
                    'ratio'),
        harness.row(SECTION, 'recorder: torn lines', torn, 'lines', '0',
                    torn == 0, note='%d lines decoded' % lines),
        harness.row(SECTION, 'recorder: lost or repeated events', wrong,
                    'events', '0', wrong == 0),
        harness.row(SECTION, 'bare os.write: torn lines', figures['raw'][3],
                    'lines', note='same check on the ceiling run'),
    ]


def run(args, workdir):
    figures = measure(workdir, args.sharedlog_processes,
                      args.sharedlog_threads, args.sharedlog_events)
    return rows_for(figures, args.sharedlog_processes,
                    args.sharedlog_threads)


def main():
    import report
    report.run_alone(__doc__, add_arguments, run, 'bench-sharedlog-')


if __name__ == '__main__':
    main()
