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

"""Log files followed as they grow, each line known by its position.

The server reads a log once to index it and later reads back only the
lines of the flow asked for.  A line's *position* is one integer: the
file's generation (the file as opened; logrotate moving it or a
truncation starts the next generation) and the byte offset of the line
in it.  A generation logrotate moved away stays open while flows point
into it, so their lines can still be read; a truncated one cannot.

Files are opened read-only; nothing is ever written.
"""

import gzip
import os
import stat
import threading

from requestshook.reading import source as source_module

OFFSET_BITS = 44
OFFSET_MASK = (1 << OFFSET_BITS) - 1
# How much one poll reads: the indexer hands the catalog this much at a
# time, so the server answers while a big log is being indexed.
CHUNK = 1024 * 1024
# A line longer than this (a log written by something else, a 100 MB line
# without its newline) is skipped, not kept whole in memory.
MAX_LINE = 64 * 1024 * 1024
_GZIP_MAGIC = b'\x1f\x8b'


def position(generation, offset):
    return (generation << OFFSET_BITS) | offset


def split_position(value):
    return value >> OFFSET_BITS, value & OFFSET_MASK


class Generation(object):
    """One opened file: its lines are read back by offset."""

    def __init__(self, number, path, stream, inode, compressed):
        self.number = number
        self.path = path
        self.stream = stream
        self.inode = inode
        self.compressed = compressed
        self.readable = True
        self._reader = None
        self._lock = threading.Lock()

    def read_line(self, offset):
        """The line starting at ``offset`` (bytes), or None."""
        with self._lock:
            if not self.readable or self.stream is None:
                return None
            if self.compressed:
                # Its own reader: the follower reads the stream in turn.
                if self._reader is None:
                    self._reader = gzip.open(self.path, 'rb')
                self._reader.seek(offset)
                return self._reader.readline() or None
            fd = self.stream.fileno()
            parts = []
            while True:
                chunk = os.pread(fd, 65536, offset)
                if not chunk:
                    break
                end = chunk.find(b'\n')
                if end >= 0:
                    parts.append(chunk[:end + 1])
                    break
                parts.append(chunk)
                offset += len(chunk)
            return b''.join(parts) or None

    def close(self):
        with self._lock:
            self.readable = False
            for stream in (self.stream, self._reader):
                if stream is not None:
                    stream.close()
            self.stream = self._reader = None


class Generations(object):
    """Every generation still open, by number."""

    def __init__(self):
        self._open = {}
        self._next = 1
        self._lock = threading.Lock()

    def open(self, path, stream, inode, compressed):
        with self._lock:
            number = self._next
            self._next += 1
            generation = Generation(number, path, stream, inode, compressed)
            self._open[number] = generation
            return generation

    def get(self, number):
        return self._open.get(number)

    def close(self, number):
        with self._lock:
            generation = self._open.pop(number, None)
        if generation is not None:
            generation.close()

    def __len__(self):
        return len(self._open)

    def read(self, value):
        """The line at position ``value``, or None when it is gone."""
        number, offset = split_position(value)
        generation = self._open.get(number)
        if generation is None:
            return None
        return generation.read_line(offset)

    def close_all(self):
        for number in list(self._open):
            self.close(number)


class FollowedLog(object):
    """One log path, polled for what was appended.

    :meth:`poll` returns ``(position, line)`` pairs, a line only once its
    newline has arrived.  When logrotate moves the file away, what the
    moved file still holds is read first, then the new file from its
    start.  ``on_retired(generation)`` is called with a generation that
    is no longer followed (the catalog closes it once no flow needs it).
    A gzip-compressed file is read once and not followed.
    """

    def __init__(self, path, generations, on_retired=None):
        self.path = path
        self.generations = generations
        self.on_retired = on_retired or (lambda generation: None)
        self.current = None
        self.offset = 0         # where the next read starts
        self.pending = b''      # a line without its newline yet
        self.finished = False   # a compressed file read to its end
        self.truncated = 0
        self.too_long = 0       # lines longer than MAX_LINE, skipped
        self.skipping = False   # inside such a line, until its newline
        self._open()

    @property
    def size(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def _open(self):
        # Non-blocking: a FIFO put at the path must not hang the server.
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            self.current = None
            return
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            self.current = None
            return
        raw = os.fdopen(fd, 'rb')
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw, mode='rb') if compressed \
            else raw
        self.current = self.generations.open(
            self.path, stream, os.fstat(raw.fileno()).st_ino, compressed)
        self.offset = 0
        self.pending = b''
        self.skipping = False

    def _replaced(self):
        """'moved', 'truncated' or None."""
        if self.current is None or self.current.compressed:
            return None
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        if stat.st_ino != self.current.inode:
            return 'moved'
        if stat.st_size < self.offset:
            return 'truncated'
        return None

    def poll(self, limit=CHUNK):
        """New ``(position, line)`` pairs, reading at most ``limit``."""
        if self.current is None:
            self._open()
            if self.current is None:
                return []
        replaced = self._replaced()
        if replaced == 'moved':
            lines = self._read(limit=None)
            self._retire()
            self._open()
            return lines
        if replaced == 'truncated':
            # copytruncate: what the flows pointed at is gone.
            self.truncated += 1
            self.current.readable = False
            self._retire()
            self._open()
        return self._read(limit)

    def _retire(self):
        retired = self.current
        self.current = None
        if retired is not None:
            self.on_retired(retired)

    def _read(self, limit):
        current = self.current
        if current is None or self.finished:
            return []
        if current.compressed:
            data = current.stream.read(limit or -1)
            if not data:
                self.finished = True
                return self._flush(current)
        else:
            fd = current.stream.fileno()
            if limit is None:
                size = os.fstat(fd).st_size
                data = os.pread(fd, max(size - self.offset, 0),
                                self.offset)
            else:
                data = os.pread(fd, limit, self.offset)
        if not data:
            return []
        if self.skipping:
            end = data.find(b'\n')
            self.offset += len(data) if end < 0 else end + 1
            if end < 0:
                return []
            self.skipping = False
            data = data[end + 1:]
        start = self.offset - len(self.pending)
        data = self.pending + data
        self.offset += len(data) - len(self.pending)
        result = []
        begin = 0
        while True:
            end = data.find(b'\n', begin)
            if end < 0:
                break
            if end > begin:
                result.append((position(current.number, start + begin),
                               data[begin:end + 1]))
            begin = end + 1
        self.pending = data[begin:]
        if len(self.pending) > MAX_LINE:
            self.too_long += 1
            self.skipping = True
            self.pending = b''
        return result

    def _flush(self, current):
        """The last line of a compressed file, when it has no newline."""
        if not self.pending.strip():
            return []
        line = self.pending
        self.pending = b''
        return [(position(current.number, self.offset - len(line)), line)]


def check_paths(paths):
    """Raise LogError for stdin, a missing, unreadable or special file."""
    if source_module.STDIN in paths:
        raise source_module.LogError(
            'serve reads log files (it reads flows back from them on '
            'demand): stdin (-) cannot be served')
    source_module.LogSource(paths).check()
    for path in paths:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise source_module.LogError(
                '%s is not a regular file (a FIFO or a device): serve reads '
                'lines back from log files by their offset' % path)
