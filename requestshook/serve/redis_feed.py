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

"""Serve the events of the Redis stream the redis sink writes.

The feed reads the stream from its first entry, a page at a time, then
the entries added since (``XREAD`` from the last id seen).  An event's
position is its entry id (``MS-SEQ``) packed into one integer, so a
flow's events are read back with one ``XRANGE`` per entry, pipelined.
Entries the stream's MAXLEN trimmed away are gone from the pages.
"""

from requestshook import redisurl
from requestshook.reading import redis_source
from requestshook.reading import shape
from requestshook.reading import source as source_module
from requestshook.serve import views

SEQUENCE_BITS = 20
SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1
MILLISECOND_BITS = 64 - SEQUENCE_BITS
PAGE = redis_source.PAGE
# Entries one pipeline fetches while a flow is read back.
READ_PAGE = 256


def _text(value):
    return value.decode('ascii') if isinstance(value, bytes) else value


def position(entry_id):
    """``'1700000000123-4'`` -> one integer."""
    milliseconds, _sep, sequence = _text(entry_id).partition('-')
    sequence = int(sequence or 0)
    if sequence > SEQUENCE_MASK or int(milliseconds) >> MILLISECOND_BITS:
        # Over a million entries in one millisecond, or an id chosen
        # by its writer beyond the year 2500: not indexed.
        return None
    return (int(milliseconds) << SEQUENCE_BITS) | sequence


def entry_id(value):
    return '%d-%d' % (value >> SEQUENCE_BITS, value & SEQUENCE_MASK)


class RedisFeed(object):
    """One Redis stream, followed as it grows."""

    def __init__(self, url, client=None):
        self.source = redis_source.RedisSource(url, client=client)
        self.total = self.source.check()
        self.last = '0-0'
        self.done = 0
        self.skipped = 0
        self.catalog = None

    @property
    def client(self):
        return self.source.client

    def attach(self, catalog):
        self.catalog = catalog

    def poll(self):
        try:
            answer = self.client.xread({self.source.stream: self.last},
                                       count=PAGE)
        except Exception as exc:
            raise source_module.LogError('cannot read %s: %s' % (
                self.source.name, exc))
        batch = []
        for _stream, page in answer or ():
            for entry, fields in page:
                self.last = _text(entry)
                self.done += 1
                record = self._decode(fields)
                value = position(entry)
                if record is not None and value is not None:
                    batch.append((value, record))
                elif record is not None:
                    self.skipped += 1
        return batch

    def _decode(self, fields):
        line = fields.get(redisurl.FIELD.encode()) or \
            fields.get(redisurl.FIELD)
        if isinstance(line, str):
            line = line.encode('utf-8')
        try:
            return shape.decode(line) if line else None
        except ValueError:
            self.skipped += 1
            return None

    def read(self, positions):
        """The events at ``positions``, fetched a page at a time."""
        positions = sorted(positions)
        records = views.Events()
        budget = views.MAX_FLOW_BYTES
        for start in range(0, len(positions), READ_PAGE):
            if budget <= 0:
                records.not_loaded = len(positions) - start
                break
            pipe = self.client.pipeline(transaction=False)
            for value in positions[start:start + READ_PAGE]:
                ident = entry_id(value)
                pipe.xrange(self.source.stream, min=ident, max=ident,
                            count=1)
            for page in pipe.execute():
                for _entry, fields in page:
                    budget -= len(redis_source._fields_line(fields) or b'')
                    record = self._decode(fields)
                    if record is not None:
                        records.append(record)
        records.sort(key=lambda record: record.get('ts') or '')
        return records

    def progress(self):
        return self.done, max(self.total, self.done)

    def close(self):
        try:
            self.client.close()
        except Exception:
            pass
