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


"""The bounded queue and sender thread every network sink shares."""

import os
import subprocess
import sys
import textwrap
import threading
import time

from requestshook.recording import report
from requestshook.recording.sinks import queue


class Logger(object):
    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, message, *args):
        self.errors.append(message % args)

    def warning(self, message, *args):
        self.warnings.append(message % args)


class ListSink(queue.QueuedSink):
    """Sends into a list; ``gate`` blocks sending, ``failures`` fail it."""

    kind = 'list'

    def __init__(self, capacity=10, logger=None, **kwargs):
        self.logger = logger or Logger()
        super(ListSink, self).__init__(
            capacity, report.Reporter(self.logger), **kwargs)
        self.received = []
        self.gate = threading.Event()
        self.gate.set()
        self.failures = 0
        self.connects = 0

    def connect(self):
        self.connects += 1

    def send(self, lines):
        self.gate.wait(10)
        if self.failures:
            self.failures -= 1
            raise ConnectionError('server gone')
        self.received.extend(lines)


def lines(count, start=0):
    return [b'{"n":%d}\n' % n for n in range(start, start + count)]


def wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_events_reach_the_sender_in_order():
    sink = ListSink(capacity=1000)
    for line in lines(500):
        assert sink.write(line)
    assert sink.flush(10)
    assert sink.received == lines(500)
    assert sink.sent == 500
    sink.close()


def test_queue_is_bounded_and_drops_are_counted_and_reported_once():
    sink = ListSink(capacity=10)
    sink.gate.clear()               # the sender is stuck in a send
    assert sink.write(b'first\n')
    assert wait_until(lambda: sink.pending() == 1 and not sink._items)
    kept = [sink.write(line) for line in lines(25)]
    assert kept == [True] * 10 + [False] * 15
    assert sink.pending() == 11     # 10 queued + 1 in flight, no more
    assert sink.dropped == 15 and sink.dropped_total == 15
    assert len(sink.logger.errors) == 1
    assert 'queue of 10 events is full' in sink.logger.errors[0]
    sink.gate.set()
    assert sink.flush(10)
    assert sink.received == [b'first\n'] + lines(10)
    # Recovery is said once, with the count.
    assert wait_until(lambda: sink.logger.warnings)
    assert len(sink.logger.warnings) == 1
    assert '15 were dropped' in sink.logger.warnings[0]
    assert sink.dropped == 0 and sink.dropped_total == 15
    sink.close()


def test_the_queue_is_bounded_in_bytes_too():
    # A collector that stopped answering while clients send big bodies:
    # 10000 events of 128 KB would be 1.3 GB held by every process.
    assert queue.MAX_QUEUED_BYTES <= 128 * 1024 * 1024
    sink = ListSink(capacity=10000, max_bytes=1 << 20)
    sink.gate.clear()
    big = b'x' * (100 * 1024) + b'\n'
    assert sink.write(big)
    assert wait_until(lambda: sink.pending() == 1 and not sink._items)
    kept = [sink.write(big) for _ in range(30)]
    assert kept == [True] * 10 + [False] * 20
    assert 'queue holds' in sink.logger.errors[0]
    sink.gate.set()
    assert sink.flush(10)
    # Sent events free their bytes.
    assert sink.write(big) and sink.flush(10)
    assert len(sink.received) == 12
    sink.close()


def test_write_never_waits_for_the_sender():
    sink = ListSink(capacity=100)
    sink.gate.clear()
    started = time.monotonic()
    for line in lines(1000):
        sink.write(line)
    assert time.monotonic() - started < 5    # not 10 s per blocked send
    sink.gate.set()
    sink.close()


def test_failed_sends_back_off_and_retry_the_same_batch():
    sink = ListSink(capacity=100)
    sink.backoff_initial = 0.01
    sink.backoff_max = 0.08
    sink.failures = 6
    for line in lines(3):
        sink.write(line)
    assert sink.flush(10)
    assert sink.received == lines(3)        # nothing lost, nothing twice
    pauses = list(sink.backoffs)
    assert len(pauses) == 6
    nominal = [0.01, 0.02, 0.04, 0.08, 0.08, 0.08]
    for pause, expected in zip(pauses, nominal):
        assert expected * 0.79 <= pause <= expected * 1.21
    assert sink.connects == 7               # reconnects after each failure
    assert len(sink.logger.errors) == 1     # the failure said once
    assert 'server gone' in sink.logger.errors[0]
    # After a success the backoff starts over.
    sink.failures = 1
    sink.write(b'again\n')
    assert sink.flush(10)
    assert sink.backoffs[-1] <= 0.01 * 1.21
    sink.close()


def test_close_without_waiting_lets_the_sender_finish():
    sink = ListSink(capacity=100)
    sink.gate.clear()
    for line in lines(5):
        sink.write(line)
    sink.close(wait=False)
    assert not sink.write(b'late\n')
    sink.gate.set()
    assert wait_until(lambda: len(sink.received) == 5)
    assert wait_until(lambda: not sink._thread.is_alive())


def test_sender_restarts_in_a_forked_child(tmp_path):
    sink = ListSink(capacity=100)
    sink.gate.clear()
    for line in lines(3):
        sink.write(line)
    out = tmp_path / 'child'
    parent_thread = sink._thread
    pid = os.fork()
    if pid == 0:    # the child: the parent's queue is not sent twice
        status = 1
        try:
            sink.gate.set()
            held = sink.pending()
            sink.write(b'child\n')
            flushed = sink.flush(10)
            out.write_text(repr((held, flushed, sink.received,
                                 sink._thread is not parent_thread
                                 and sink._thread.is_alive())))
            status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    held, flushed, received, new_thread = eval(out.read_text())
    assert held == 0 and flushed and received == [b'child\n']
    assert new_thread
    sink.gate.set()
    assert sink.flush(10)
    assert sink.received == lines(3)
    sink.close()


def test_held_events_are_sent_at_exit(tmp_path):
    out = tmp_path / 'sent'
    script = textwrap.dedent('''
        import sys, time
        from requestshook.recording.sinks import queue

        class SlowSink(queue.QueuedSink):
            kind = 'slow'
            def send(self, lines):
                time.sleep(0.002)
                with open(sys.argv[1], 'ab') as stream:
                    stream.write(b''.join(lines))

        sink = SlowSink(100000, flush_timeout=30)
        for n in range(2000):
            sink.write(b'%d\\n' % n)
    ''')
    subprocess.run([sys.executable, '-c', script, str(out)], check=True,
                   timeout=60, cwd=os.path.dirname(os.path.dirname(
                       os.path.dirname(os.path.dirname(os.path.dirname(
                           os.path.abspath(__file__)))))))
    assert out.read_bytes().split() == [b'%d' % n for n in range(2000)]


def test_gives_up_after_the_flush_timeout_when_stopping():
    sink = ListSink(capacity=100, flush_timeout=0.3)
    sink.backoff_initial = 0.05
    sink.failures = 10 ** 6
    for line in lines(4):
        sink.write(line)
    started = time.monotonic()
    sink.close()
    assert time.monotonic() - started < 3
    assert wait_until(lambda: sink.dropped_total == 4)
    assert sink.received == []


def test_lingering_for_a_batch_never_fills_the_queue():
    sink = ListSink(capacity=10)
    sink.linger = 0.5           # events gather, but never past half a queue
    for line in lines(100):
        assert sink.write(line)
        time.sleep(0.005)
    assert sink.flush(10)
    assert sink.dropped_total == 0
    assert sink.received == lines(100)
    sink.close()


def test_small_batches_wait_for_more_events():
    sink = ListSink(capacity=1000)
    sink.batch_size = 1000
    sizes = []
    send = sink.send
    sink.send = lambda batch: sizes.append(len(batch)) or send(batch)
    for line in lines(50):
        sink.write(line)
        time.sleep(0.001)
    assert sink.flush(10)
    assert sum(sizes) == 50 and len(sizes) < 10
    sink.close()


def test_at_exit_the_sinks_share_one_flush_timeout(monkeypatch):
    # A blackholed Redis and collector: a process's exit waited
    # flush_timeout + 1 s for each sink in turn (6 s for two, not 2).
    stuck = [ListSink(capacity=10, flush_timeout=1.0) for _ in range(2)]
    given = []
    for sink in stuck:
        sink.gate.clear()
        sink.write(b'held\n')
        assert wait_until(lambda: sink.pending() == 1 and not sink._items)
        sink.write(b'waiting\n')
        real = sink.flush
        monkeypatch.setattr(sink, 'flush', lambda timeout=None, real=real: (
            given.append(timeout), real(timeout))[1])
    monkeypatch.setattr(queue, '_live', set(stuck))
    queue.close_all()
    assert len(given) == 2
    assert sum(given) <= 1.0 + 0.05
    for sink in stuck:
        sink.gate.set()
