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

"""Read events back from the Redis stream the redis sink writes.

``--source redis://HOST:PORT/DB[?stream=NAME]`` (any URL of
:mod:`requestshook.redisurl`) gives every reader command the events of
one stream instead of log files.  A :class:`RedisSource` behaves as a
:class:`~requestshook.reading.source.LogSource`: it yields ``(line,
event)`` pairs in time order, so the pages are the same as from the
files.  Entries arrive in the order each process sent them; a bounded
reorder window (``REORDER_WINDOW`` entries) puts them in ``ts`` order as
merging per-host files does.  :func:`follow` waits for new entries with
``XREAD BLOCK`` (``requestshook tail -f``).

Standard library and redis-py only: the reader never imports the
capture or recording side.
"""

import heapq
import itertools
import sys

from requestshook import redisurl
from requestshook.reading import shape
from requestshook.reading import source as source_module

PAGE = 1000
REORDER_WINDOW = 10000
BLOCK_MS = 1000


def is_source(text):
    return redisurl.is_redis_url(text)


def _client(url):
    try:
        return redisurl.client_for(url, socket_timeout=None)
    except redisurl.MissingRedis as exc:
        raise source_module.LogError(str(exc))
    except ValueError as exc:
        raise source_module.LogError(str(exc))


def _fields_line(fields):
    line = fields.get(redisurl.FIELD.encode()) or fields.get(redisurl.FIELD)
    if isinstance(line, str):
        line = line.encode('utf-8')
    return line


class RedisSource(object):
    """The events of one Redis stream, in time order."""

    def __init__(self, url, client=None, progress=None):
        self.url, self.stream = redisurl.split_stream(url)
        self.name = '%s (stream %s)' % (redisurl.mask_url(self.url),
                                        self.stream)
        self.paths = [self.name]
        self.progress = progress
        self.skipped = 0
        self._client = client

    @property
    def client(self):
        if self._client is None:
            self._client = _client(self.url)
        return self._client

    def check(self):
        """Raise :class:`~.source.LogError` when Redis cannot be read."""
        try:
            length = self.client.xlen(self.stream)
        except source_module.LogError:
            raise
        except Exception as exc:
            raise source_module.LogError('cannot read %s: %s' % (
                self.name, exc))
        return length

    def entries(self, start='-'):
        """``(entry id, line)`` of the stream, oldest first, paged."""
        while True:
            page = self.client.xrange(self.stream, min=start, count=PAGE)
            for entry_id, fields in page:
                yield entry_id, _fields_line(fields)
            if len(page) < PAGE:
                return
            last = page[-1][0]
            if isinstance(last, bytes):
                last = last.decode('ascii')
            start = '(' + last

    def __iter__(self):
        total = self.check()
        heap = []
        order = itertools.count()
        done = 0
        for _entry_id, line in self.entries():
            done += 1
            record = self._decode(line)
            if record is None:
                continue
            heapq.heappush(heap, (record.get('ts') or '', next(order),
                                  line, record))
            if len(heap) > REORDER_WINDOW:
                _ts, _n, out_line, out = heapq.heappop(heap)
                yield out_line, out
            if self.progress is not None and not done & 0xfff:
                self.progress(done, total)
        while heap:
            _ts, _n, out_line, out = heapq.heappop(heap)
            yield out_line, out
        if self.progress is not None:
            self.progress(done, max(total, done))

    def events(self):
        for _line, record in self:
            yield record

    def _decode(self, line):
        if not line:
            self.skipped += 1
            return None
        try:
            return shape.decode(line)
        except ValueError:
            self.skipped += 1
            return None

    def report_skipped(self, stream=None):
        if not self.skipped:
            return False
        stream = stream or sys.stderr
        stream.write('requestshook: skipped %d stream entr%s that %s not '
                     'an event\n' % (self.skipped,
                                     'y' if self.skipped == 1 else 'ies',
                                     'is' if self.skipped == 1 else 'are'))
        return True

    def recent(self, count):
        """The last ``count`` entries' events by time, and the last id."""
        page = self.client.xrevrange(self.stream, count=max(count, 1))
        last = page[0][0] if page else '0-0'
        records = [self._decode(_fields_line(fields))
                   for _id, fields in reversed(page)]
        records = [record for record in records if record]
        records.sort(key=lambda record: record.get('ts') or '')
        return records, last

    def follow(self, last='$', keep_going=True):
        """Events added after entry ``last``, waiting with XREAD BLOCK."""
        while True:
            answer = self.client.xread({self.stream: last}, count=PAGE,
                                       block=BLOCK_MS)
            for _stream, page in answer or ():
                for entry_id, fields in page:
                    last = entry_id
                    record = self._decode(_fields_line(fields))
                    if record is not None:
                        yield record
            if not keep_going and not answer:
                return
