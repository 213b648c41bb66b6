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

"""A bounded queue and one sender thread: what every network sink shares.

The request thread only appends the event line to a deque (dropping it,
counted, when the queue is full) and wakes the sender if it sleeps.  The
sender thread takes batches, connects when it must, sends, and on a
failure disconnects and retries the same batch after a growing delay
(backoff with jitter, up to ``BACKOFF_MAX``); meanwhile new events wait
in the queue or are dropped.  Failures and drops are reported once
(:mod:`requestshook.recording.report`); when sending works again the
report is resolved with the number of events dropped meanwhile.

After a fork the child starts with an empty queue (the parent sends what
it held) and starts its own sender at its first event.  At exit every
live sink gets ``sink_flush_timeout`` seconds to send what it holds.
"""

import atexit
import collections
import os
import random
import threading
import time
import weakref

from requestshook.recording import report
from requestshook.recording.sinks import base

BATCH_SIZE = 256
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 10.0
IDLE_WAIT = 1.0
# How long the sender lets events gather before it sends a batch smaller
# than BATCH_SIZE (or than half the queue, so lingering never drops):
# fewer round trips and thread switches per event.
LINGER = 0.05
# What the queue may hold in bytes, whatever its capacity in events: a
# blackholed endpoint must not let every process hold 10000 big bodies.
MAX_QUEUED_BYTES = 64 * 1024 * 1024

_live = weakref.WeakSet()


class QueuedSink(base.Sink):
    """A sink whose events are sent by one thread of this process.

    Subclasses implement :meth:`connect`, :meth:`send` (raise on any
    failure) and :meth:`disconnect`; they run on the sender thread only.
    """

    batch_size = BATCH_SIZE
    backoff_initial = BACKOFF_INITIAL
    backoff_max = BACKOFF_MAX
    linger = LINGER

    def __init__(self, capacity, reporter=None, flush_timeout=2.0,
                 max_bytes=MAX_QUEUED_BYTES):
        self.capacity = max(1, int(capacity))
        self.max_bytes = max(1, int(max_bytes))
        self._enough = max(1, min(self.batch_size, self.capacity // 2))
        self.flush_timeout = flush_timeout
        self._reporter = reporter or report.Reporter()
        self.dropped = 0            # since the last recovery
        self.dropped_total = 0
        self.sent = 0
        self.backoffs = collections.deque(maxlen=64)
        self._reset_process_state()
        _live.add(self)

    def _reset_process_state(self):
        self._pid = os.getpid()
        self._items = collections.deque()
        self._bytes = 0             # held in _items, under _bytes_lock
        self._bytes_lock = threading.Lock()
        self._cond = threading.Condition(threading.Lock())
        self._wake = threading.Event()
        self._hurry = threading.Event()
        self._stop = threading.Event()
        self._in_flight = 0
        self._waiting = False
        self._thread = None
        self._connected = False
        self._closed = False
        self._stopping = False

    # -- the request thread ---------------------------------------------

    def write(self, line):
        try:
            if self._pid != os.getpid():
                self._after_fork()
            if self._closed:
                return False
            if len(self._items) >= self.capacity:
                self._drop(1, 'its queue of %d events is full'
                           % self.capacity)
                return False
            size = len(line)
            with self._bytes_lock:
                full = self._bytes and self._bytes + size > self.max_bytes
                if not full:
                    self._bytes += size
            if full:
                self._drop(1, 'its queue holds %d MiB'
                           % (self.max_bytes >> 20))
                return False
            self._items.append(line)
            if self._thread is None:
                self._start()
            if self._waiting:
                self._wake.set()
            if len(self._items) >= self._enough and \
                    not self._hurry.is_set():
                self._hurry.set()
            return True
        except Exception as exc:
            self._reporter.failed(
                self._category(), ('write', type(exc).__name__),
                'requestshook failed queueing an event for %s (%s: %s); '
                'the service goes on.', self.describe(), type(exc).__name__,
                exc)
            return False

    @property
    def closed(self):
        return self._closed

    def pending(self):
        """Events waiting or being sent."""
        with self._cond:
            return len(self._items) + self._in_flight

    def flush(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        self._hurry.set()
        with self._cond:
            while self._items or self._in_flight:
                thread = self._thread
                if thread is None or not thread.is_alive():
                    return False
                wait = 0.1
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                    if wait <= 0:
                        return False
                self._cond.wait(wait)
        return True

    def close(self, wait=True, deadline=None):
        """Stop taking events; send what is held (``flush_timeout``).

        With ``wait`` False the sender finishes on its own (a reload must
        not hold a request for it).  ``deadline`` (``time.monotonic()``)
        ends the wait sooner: the sinks closed at exit share one.
        """
        if self._closed or self._pid != os.getpid():
            self._closed = True
            return
        self._closed = True
        self._stopping = True
        self._hurry.set()
        self._wake.set()
        thread = self._thread
        if thread is None:
            self._quiet_disconnect()
            return
        if wait:
            timeout = self.flush_timeout
            if deadline is not None:
                timeout = max(0.0, min(timeout, deadline - time.monotonic()))
            self.flush(timeout)
            self._stop.set()
            self._wake.set()
            thread.join(1.0 if deadline is None else 0.1)

    # -- the sender thread ----------------------------------------------

    def _start(self):
        with self._cond:
            if self._thread is not None:
                return
            thread = threading.Thread(
                target=self._run, name='requestshook-%s-sender' % self.kind)
            thread.daemon = True
            self._thread = thread
        thread.start()

    def _take(self):
        with self._cond:
            batch = []
            while self._items and len(batch) < self.batch_size:
                batch.append(self._items.popleft())
            with self._bytes_lock:
                self._bytes -= sum(map(len, batch))
            self._in_flight = len(batch)
            if not batch:
                self._cond.notify_all()
            return batch

    def _done(self):
        with self._cond:
            self._in_flight = 0
            self._cond.notify_all()

    def _run(self):
        batch = []
        delay = self.backoff_initial
        deadline = None
        while True:
            if not batch:
                if len(self._items) < self._enough:
                    self._hurry.wait(self.linger)
                batch = self._take()
            if not batch:
                self._hurry.clear()
                if self._stopping:
                    break
                self._waiting = True
                if not self._items:
                    self._wake.wait(IDLE_WAIT)
                self._waiting = False
                self._wake.clear()
                continue
            try:
                if not self._connected:
                    self.connect()
                    self._connected = True
                self.send(batch)
            except Exception as exc:
                self._failed(exc)
                self._quiet_disconnect()
                if self._stopping:
                    deadline = deadline or (time.monotonic()
                                            + self.flush_timeout)
                    if self._stop.is_set() or time.monotonic() >= deadline:
                        self._give_up(batch)
                        break
                pause = delay * random.uniform(0.8, 1.2)
                self.backoffs.append(pause)
                self._stop.wait(pause)
                delay = min(delay * 2, self.backoff_max)
                continue
            self.sent += len(batch)
            batch = []
            delay = self.backoff_initial
            self._done()
            self._recovered()
        self._done()
        self._quiet_disconnect()

    def _give_up(self, batch):
        with self._cond:
            lost = len(batch) + len(self._items)
            self._items.clear()
            with self._bytes_lock:
                self._bytes = 0
        self._drop(lost, 'it was stopping and could not send them')

    def _quiet_disconnect(self):
        self._connected = False
        try:
            self.disconnect()
        except Exception:
            pass

    # -- reports ----------------------------------------------------------

    def _category(self):
        return 'sink %s' % self.describe()

    def _drop(self, count, why):
        with self._cond:
            self.dropped += count
            self.dropped_total += count
        self._reporter.failed(
            self._category(), 'dropping',
            'requestshook drops events for %s: %s; the service goes on. '
            'The number dropped is reported when it sends again.',
            self.describe(), why)

    def _failed(self, exc):
        self._reporter.failed(
            self._category(), 'send',
            'requestshook cannot send events to %s (%s: %s); it retries '
            'with backoff, events wait in a queue of %d and beyond it are '
            'dropped.', self.describe(), type(exc).__name__, exc,
            self.capacity)

    def _recovered(self):
        if not self._reporter.pending(self._category()):
            return
        with self._cond:
            dropped, self.dropped = self.dropped, 0
        self._reporter.resolved(
            self._category(),
            'requestshook sends events to %s again; %d were dropped '
            'meanwhile.', self.describe(), dropped)

    # -- fork and exit ----------------------------------------------------

    def _after_fork(self):
        # The parent sends what its queue held; its thread is not here.
        if self._pid == os.getpid():
            return
        closed = self._closed
        self._reset_process_state()
        self._closed = closed
        self.dropped = 0
        self.sent = 0

    # -- what subclasses provide -------------------------------------------

    def connect(self):
        """Open the connection (sender thread); raise on failure."""

    def send(self, lines):
        """Send a batch of event lines (sender thread); raise on failure."""
        raise NotImplementedError()

    def disconnect(self):
        """Drop the connection (sender thread)."""


def _after_fork_in_child():
    for sink in list(_live):
        sink._after_fork()


def close_all():
    """Close every live sink of this process (at exit, tests).

    They send at once, and share the longest flush timeout: a process
    with a blackholed Redis and collector exits as fast as with one.
    """
    sinks = list(_live)
    for sink in sinks:
        sink._hurry.set()
    longest = max([sink.flush_timeout for sink in sinks] or [0.0])
    deadline = time.monotonic() + longest
    for sink in sinks:
        try:
            sink.close(deadline=deadline)
        except Exception:
            pass


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(close_all)
