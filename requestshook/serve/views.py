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

"""What the server answers: the flow list, one flow, its downloads.

A flow's events are read back from the log by their positions, then
drawn by the same renderers as the command line's: the diagram of
``requestshook diagram``, the steps of ``requestshook html``, the HAR of
``requestshook har`` and the index page of ``requestshook doc``.
"""

import heapq
import itertools

from requestshook.reading import flow as flow_module
from requestshook.reading import shape
from requestshook.render import doc
from requestshook.render import har
from requestshook.render import html
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module
from requestshook.serve import files

LIST_LIMIT = 200
MAX_LIST_LIMIT = 5000
FILTERS = ('service', 'path', 'status', 'trace')
# The bytes of log lines one flow's page reads back at most: any client
# can grow a flow (one traceparent sent again and again, 64 KB bodies);
# the events beyond are counted as not loaded.
MAX_FLOW_BYTES = 64 * 1024 * 1024


class Events(list):
    """A flow's events as read back; ``not_loaded`` past the limit."""

    not_loaded = 0


def row(flow):
    """One line of the list, as JSON."""
    return {
        'key': flow.key, 'index': flow.index, 'start': flow.start_ts,
        'end': flow.end_ts, 'root': flow.root, 'calls': flow.hops,
        'services': flow.service_names, 'duration_ms': flow.duration_ms,
        'errors': flow.errors, 'statuses': sorted(flow.statuses),
    }


def _status_matches(statuses, errors, wanted):
    wanted = wanted.strip().lower()
    if wanted in ('error', 'errors'):
        return errors > 0
    if len(wanted) == 3 and wanted.endswith('xx') and wanted[0].isdigit():
        return any(str(status).startswith(wanted[0])
                   for status in statuses)
    return any(str(status) == wanted for status in statuses)


def matches(flow, filters):
    """Whether ``flow`` passes every filter given (case-insensitive)."""
    service = (filters.get('service') or '').strip().lower()
    if service and not any(service in name.lower()
                           for name in flow.service_names):
        return False
    path = (filters.get('path') or '').strip().lower()
    if path and not any(path in seen.lower() for seen in flow.paths):
        return False
    status = (filters.get('status') or '').strip()
    if status and not _status_matches(flow.statuses, flow.errors, status):
        return False
    trace = (filters.get('trace') or '').strip().lower()
    if trace and not flow.key.lower().startswith(trace):
        return False
    return True


def _limit(value):
    try:
        return max(0, min(int(value), MAX_LIST_LIMIT))
    except (TypeError, ValueError):
        return LIST_LIMIT


def listing(catalog, filters):
    """The newest flows passing ``filters``, and how many there are.

    ``filters['limit']`` says how many rows at most (default 200).
    """
    limit = _limit(filters.get('limit'))
    shown = []
    matched = 0
    # Under the lock: the indexer adds to the flows' sets meanwhile.
    with catalog.lock:
        for flow in catalog.newest_first():
            if matches(flow, filters):
                matched += 1
                if len(shown) < limit:
                    shown.append(row(flow))
        progress = dict(catalog.progress)
        forgotten = catalog.forgotten
        version = catalog.version
    return {'flows': shown, 'matched': matched, 'total': len(catalog),
            'forgotten': forgotten, 'progress': progress,
            'version': version}


def _timestamp(record):
    return record.get('ts') or ''


def read_events(generations, positions):
    """The events at ``positions``, each file's in its order, merged."""
    by_generation = {}
    for value in sorted(positions):
        number, _offset = files.split_position(value)
        by_generation.setdefault(number, []).append(value)
    streams = []
    budget = MAX_FLOW_BYTES
    not_loaded = 0
    for values in by_generation.values():
        records = []
        for value in values:
            if budget <= 0:
                not_loaded += 1
                continue
            line = generations.read(value)
            if not line:
                continue
            budget -= len(line)
            try:
                records.append(shape.decode(line))
            except ValueError:
                continue
        streams.append(records)
    events = Events(streams[0] if len(streams) == 1 else
                    heapq.merge(*streams, key=_timestamp))
    events.not_loaded = not_loaded
    return events


def load(catalog, reader, key):
    """Flow ``key`` read back from the log, or None if unknown.

    ``reader`` turns positions into events (:func:`read_events` over
    the files' generations, or a Redis stream's entries).
    """
    summary = catalog.get(key)
    positions = catalog.positions(key)
    if summary is None or positions is None:
        return None
    events = reader(positions)
    flow = flow_module.Flow(key, events, index=summary.index)
    flow.not_loaded = getattr(events, 'not_loaded', 0)
    return flow


def _sequence(flow):
    sequence = sequence_module.Sequence(flow)
    return sequence, mermaid.placeholders_for(sequence)


def page(flow, summary=None, aliases=None):
    """The flow page's data: diagram, clickable steps, variables."""
    sequence, placeholders = _sequence(flow)
    people = mermaid.Participants(sequence.participants, aliases)
    return {
        'key': flow.key,
        'index': flow.index,
        'title': flow.root_call or flow.key,
        'started_at': flow.started_at,
        'duration_ms': flow.duration_ms,
        'calls': len(sequence.hops),
        'errors': flow.errors,
        'services': [people.aliases.get(name, name)
                     for name in sequence.participants],
        'diagram': mermaid.render(sequence, aliases, placeholders),
        'steps': html.steps(sequence, people, placeholders),
        'variables': [[name, value] for name, value in
                      placeholders.values.items()],
        'unreadable': (summary.unreadable if summary is not None else 0) +
        getattr(flow, 'not_loaded', 0),
    }


def har_text(flow):
    return har.render(_sequence(flow)[0])


def markdown_text(flow, aliases=None):
    """The ``index.md`` that ``requestshook doc`` writes for the flow."""
    sequence, placeholders = _sequence(flow)
    title = flow.root_call or flow.key
    return doc.index_page(sequence, title, aliases=aliases,
                          placeholders=placeholders)


def download_name(flow, extension):
    """``flow-3-438b352346f5.har``: safe for a Content-Disposition."""
    safe = ''.join(itertools.islice(
        (c for c in flow.key if c.isalnum() or c in '-_'), 12))
    return 'flow-%s-%s.%s' % (flow.index, safe or 'flow', extension)
