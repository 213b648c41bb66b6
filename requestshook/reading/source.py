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

"""Stream events out of log files: plain, gzip-compressed, or stdin.

Several files (one per host, or rotated ones) are merged by timestamp.
Lines that are not whole events (a torn write, a stray message) are
skipped and counted; :meth:`LogSource.report_skipped` says so once.
"""

import gzip
import heapq
import os
import sys
import time

from requestshook.reading import logpath
from requestshook.reading import shape

DEFAULT_LOG = logpath.DEFAULT_LOG
STDIN = '-'

_GZIP_MAGIC = b'\x1f\x8b'
# Where a whole event starts: lets a line torn by a crash give back the
# event written after it on the same line.
_EVENT_START = b'{"v":'


class LogError(Exception):
    """A log cannot be read; the message is meant for the user."""


def _timestamp_key(record):
    return record[1].get('ts') or ''


class LogSource(object):
    """The events of one or many logs, in time order.

    Iterating yields ``(line, event)`` pairs: the raw line (bytes) and
    the decoded event.  ``progress`` is called now and then with
    ``(bytes_read, bytes_total)`` while files are read.
    """

    def __init__(self, paths=None, progress=None, stdin=None):
        self.paths = list(paths or [logpath.log_to_read()])
        self.progress = progress
        self.stdin = stdin if stdin is not None else sys.stdin.buffer
        self.skipped = 0
        self.total_bytes = 0
        self._done_bytes = {}
        self._last_progress = 0.0

    def check(self):
        """Raise :class:`LogError` for a missing or unreadable file."""
        for path in self.paths:
            if path == STDIN:
                continue
            if not os.path.exists(path):
                raise LogError(
                    'no such log file: %s (nothing recorded here yet? '
                    'give the log with --log FILE, or record a command: '
                    'requestshook record -- openstack image list)' % path)
            if os.path.isdir(path):
                raise LogError('%s is a directory, not a log file' % path)
            if not os.access(path, os.R_OK):
                raise LogError('cannot read %s (permission denied; the log '
                               'is readable by the service accounts and '
                               'their group only)' % path)

    def __iter__(self):
        self.check()
        self.total_bytes = sum(os.path.getsize(path) for path in self.paths
                               if path != STDIN)
        streams = [self._records(path) for path in self.paths]
        if len(streams) == 1:
            return streams[0]
        return heapq.merge(*streams, key=_timestamp_key)

    def events(self):
        for _line, record in self:
            yield record

    def report_skipped(self, stream=None):
        """Say once how many lines were not events; True if any were."""
        if not self.skipped:
            return False
        stream = stream or sys.stderr
        stream.write('requestshook: skipped %d line%s that %s not a whole '
                     'event (torn or not JSON)\n'
                     % (self.skipped, '' if self.skipped == 1 else 's',
                        'is' if self.skipped == 1 else 'are'))
        return True

    def _open(self, path):
        if path == STDIN:
            return self.stdin, None
        try:
            raw = open(path, 'rb')
        except OSError as exc:
            raise LogError('cannot open %s: %s' % (path, exc.strerror))
        if raw.read(2) == _GZIP_MAGIC:
            raw.seek(0)
            return gzip.GzipFile(fileobj=raw, mode='rb'), raw
        raw.seek(0)
        return raw, raw

    def _records(self, path):
        stream, raw = self._open(path)
        try:
            if self.progress is None or raw is None:
                lines = stream
            else:
                lines = self._counted(stream, raw, path)
            for line in lines:
                try:
                    yield line, shape.decode(line)
                except ValueError:
                    if not line.strip():
                        continue
                    self.skipped += 1
                    recovered = self._recover(line)
                    if recovered is not None:
                        yield line, recovered
        finally:
            if stream is not self.stdin:
                stream.close()
                if raw is not None:
                    raw.close()

    @staticmethod
    def _recover(line):
        start = line.find(_EVENT_START, 1)
        if start < 0:
            return None
        try:
            return shape.decode(line[start:])
        except ValueError:
            return None

    def _counted(self, stream, raw, path):
        for count, line in enumerate(stream):
            if not count & 0xfff:
                self._done_bytes[path] = raw.tell()
                self._report_progress()
            yield line
        self._done_bytes[path] = os.fstat(raw.fileno()).st_size
        self._report_progress(force=True)

    def _report_progress(self, force=False):
        now = time.monotonic()
        if force or now - self._last_progress >= 0.5:
            self._last_progress = now
            self.progress(sum(self._done_bytes.values()), self.total_bytes)


class ProgressLine(object):
    """Writes ``read 120.0 of 1024.0 MiB (11%)`` over itself on stderr."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.shown = False

    def __call__(self, done, total):
        mib = 1024.0 * 1024.0
        percent = (100.0 * done / total) if total else 100.0
        self.stream.write('\rrequestshook: read %.1f of %.1f MiB (%d%%)'
                          % (done / mib, total / mib, percent))
        self.stream.flush()
        self.shown = True

    def finish(self):
        if self.shown:
            self.stream.write('\n')
            self.stream.flush()
            self.shown = False
