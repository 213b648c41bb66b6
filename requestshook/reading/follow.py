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

"""Follow logs as they grow (``requestshook tail -f``).

Reads what is appended, keeps a line that is not finished yet until its
newline arrives, and starts over on a file that logrotate moved away or
truncated.
"""

import os
import time

from requestshook.reading import shape
from requestshook.reading import source as source_module

TAIL_WINDOW = 4 * 1024 * 1024


class FollowedFile(object):
    """One log file read from a position, reopened when rotated."""

    def __init__(self, path, from_end=True):
        self.path = path
        self.stream = None
        self.inode = None
        self.pending = b''
        self.skipped = 0
        self._open(from_end)

    def _open(self, from_end):
        try:
            self.stream = open(self.path, 'rb')
        except OSError:
            self.stream = None
            return
        stat = os.fstat(self.stream.fileno())
        self.inode = stat.st_ino
        self.pending = b''
        if from_end and stat.st_size > TAIL_WINDOW:
            self.stream.seek(stat.st_size - TAIL_WINDOW)
            self.stream.readline()  # the first, partial, line

    def _rotated(self):
        try:
            stat = os.stat(self.path)
        except OSError:
            return False
        if self.stream is None:
            return True
        return (stat.st_ino != self.inode
                or stat.st_size < self.stream.tell())

    def read_events(self):
        """The events appended since the last call."""
        if self.stream is None or self._rotated():
            if self.stream is not None:
                # Finish what the moved file still holds, then switch.
                yield from self._drain()
                self.stream.close()
            self._open(from_end=False)
        if self.stream is not None:
            yield from self._drain()

    def _drain(self):
        data = self.pending + self.stream.read()
        lines = data.split(b'\n')
        self.pending = lines.pop()
        for line in lines:
            if not line.strip():
                continue
            try:
                yield shape.decode(line)
            except ValueError:
                self.skipped += 1

    def close(self):
        if self.stream is not None:
            self.stream.close()


def follow(paths, interval=0.25, keep_going=True, sleep=time.sleep):
    """Events of ``paths``: the recent ones, then the new ones.

    New ones are waited for when ``keep_going``; stdin (``-``) is read
    as it comes.
    """
    if paths == [source_module.STDIN]:
        yield from source_module.LogSource(paths).events()
        return
    files = [FollowedFile(path) for path in paths
             if path != source_module.STDIN]
    try:
        while True:
            got = False
            for followed in files:
                for record in followed.read_events():
                    got = True
                    yield record
            if not keep_going:
                return
            if not got:
                sleep(interval)
    finally:
        for followed in files:
            followed.close()
