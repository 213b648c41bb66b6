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

"""Logs copied from several hosts made into one log.

Each host writes its own log; a flow that crossed hosts has its events
spread over them.  :func:`merge` streams the events of every file given
(plain, gzip-compressed, rotated) into one JSON-lines log, merged by
timestamp.  Events are written again with :func:`requestshook.event.encode`
so every line is whole (a torn line gives back the event after it, a
file's last line without a newline ends with one).  An event already
written (the same file, or overlapping rotated copies, given twice) is
written once.

The merged order follows the hosts' wall clocks, which may disagree; the
reader does not depend on it: it orders a flow by causality.
"""

import collections

from requestshook import event

# How many recent events are remembered to drop a repeated one.  Copies
# of one event carry the same timestamp, so in a time-merged stream they
# come close together.
RECENT_EVENTS = 100000


def event_key(record):
    """What makes an event the same event, wherever it was copied."""
    return (record.get('id'), record.get('side'), record.get('event'),
            record.get('ts'), record.get('host'), record.get('pid'))


class Merged(object):
    """Counts of one merge: ``written`` and ``repeated`` events."""

    def __init__(self):
        self.written = 0
        self.repeated = 0


def merge(source, stream, recent=RECENT_EVENTS):
    """Write the events of ``source`` (a :class:`LogSource`) to ``stream``
    (a binary file); return the :class:`Merged` counts.
    """
    counts = Merged()
    seen = collections.OrderedDict()
    for record in source.events():
        key = event_key(record)
        if key in seen:
            counts.repeated += 1
            continue
        seen[key] = None
        if len(seen) > recent:
            seen.popitem(last=False)
        stream.write(event.encode(record))
        counts.written += 1
    return counts
