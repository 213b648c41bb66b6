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

"""One streaming pass over the log: flow summaries and one chosen flow.

A 1 GB log is read once, line by line.  Every event only updates the
small summary of its flow; the events themselves are kept for the one
flow asked for (``last``, an index from ``requestshook flows``, or a
trace id prefix), so memory stays flat whatever the log's size.

Events are grouped by trace.  A hop made while serving another hop joins
that hop's flow even when its trace is missing or differs; events with
neither trace nor parent group by the process that wrote them (a client
command run without a trace) or stand alone.
"""

import itertools
import re

from requestshook import event
from requestshook.reading import calls
from requestshook.reading import flow as flow_module
from requestshook.reading import hop as hop_module
from requestshook.reading import source as source_module
from requestshook.reading import urls


REQUEST = event.REQUEST
ERROR = event.ERROR

# Hop ids remembered to find a hop's flow from a later event or a child.
# Children come while their parent runs, so beyond this many the oldest
# half is forgotten: memory stays bounded on any log.
REMEMBERED_HOPS = 1000000


class SelectionError(source_module.LogError):
    """The FLOW given matches no flow, or more than one."""


class FlowSummary(object):
    """What ``requestshook flows`` shows of a flow, updated per event."""

    __slots__ = ('key', 'index', 'start_ts', 'end_ts', 'root', 'rooted',
                 'hops', 'services', 'guessed', 'error_ids', 'matched',
                 'events', 'root_ts')

    def __init__(self, key, index, record):
        self.key = key
        self.index = index
        self.start_ts = self.end_ts = record.get('ts') or ''
        self.root = _call(record)
        self.rooted = _is_main_root(record)
        self.hops = 0
        self.services = {}
        # Callee names only a caller gave (its URL map may guess one the
        # callee calls itself otherwise), by hop id, until the callee
        # names itself.
        self.guessed = {}
        self.error_ids = set()
        self.matched = False
        self.events = None
        # When the first call without a parent started, by its caller's
        # clock: the flow's start, whatever the other hosts' clocks say.
        self.root_ts = None

    def request_seen(self, record, first):
        if not record.get('parent'):
            ts = record.get('ts')
            if ts and (self.root_ts is None or ts < self.root_ts):
                self.root_ts = ts
        if not self.rooted and _is_main_root(record):
            self.root = _call(record)
            self.rooted = True
        services = self.services
        services[record.get('from')] = None
        callee = record.get('to')
        if record.get('side') == event.SERVER:
            services[callee] = None
            if self.guessed:
                self.guessed.pop(record.get('id'), None)
        elif first and callee not in services:
            self.guessed[record.get('id')] = callee

    @property
    def errors(self):
        return len(self.error_ids)

    @property
    def service_names(self):
        names = dict(self.services)
        names.update((name, None) for name in self.guessed.values())
        return [name for name in names if name]

    @property
    def duration_ms(self):
        start = event.parse_timestamp(self.start_ts)
        end = event.parse_timestamp(self.end_ts)
        if start is None or end is None:
            return None
        return (end - start) * 1000.0


def _path(record):
    return urls.split(record.get('url')).path or '/'


def _call(record):
    """``openstack: POST /v2/images``, ``nova-api: cast build_instances``."""
    if record.get('proto') == hop_module.PROTO_RPC:
        name = (record.get('url') or '').rstrip('/').rpartition('/')[2]
        return '%s: %s %s' % (record.get('from') or 'unknown',
                              (record.get('method') or '?').lower(),
                              name or '?')
    return '%s: %s %s' % (record.get('from') or 'unknown',
                          record.get('method') or '?', _path(record))


def _is_main_root(record):
    return (record.get('event') == event.REQUEST
            and not record.get('parent')
            and not calls.is_preliminary(record.get('to'),
                                         record.get('method'),
                                         _path(record)))


def _lone_key(record):
    if record.get('side') == event.CLIENT and record.get('pid') is not None:
        return 'process-%s-%s' % (record.get('host') or 'unknown',
                                  record['pid'])
    return record.get('id') or 'event'


class _Selector(object):
    """Decides which flow's events to keep while the log streams by."""

    def started(self, summary):
        pass


class _KeepNone(_Selector):
    pass


class _KeepLast(_Selector):
    def __init__(self):
        self.current = None

    def started(self, summary):
        if self.current is not None:
            self.current.events = None
        summary.events = []
        self.current = summary


class _KeepIndexes(_Selector):
    def __init__(self, indexes):
        self.indexes = indexes

    def started(self, summary):
        if summary.index in self.indexes:
            summary.events = []


class _KeepPrefix(_Selector):
    def __init__(self, prefix):
        self.prefix = prefix

    def started(self, summary):
        if summary.key.lower().startswith(self.prefix):
            summary.events = []


# The shortest lone number also tried as a trace id prefix.
_MIN_DIGIT_PREFIX = 6


def _may_be_prefix(spec):
    return spec.isdigit() and len(spec) >= _MIN_DIGIT_PREFIX


class _KeepIndexOrPrefix(_Selector):
    """A lone number: keep both readings until the flows are counted."""

    def __init__(self, number):
        self.by_index = _KeepIndexes({int(number)})
        self.by_prefix = _KeepPrefix(number)

    def started(self, summary):
        self.by_index.started(summary)
        self.by_prefix.started(summary)


_INDEXES = re.compile(r'^\d+(-\d+)?(,\d+(-\d+)?)*$')


def is_index(spec):
    """Whether FLOW may name indexes of ``requestshook flows``: ``3``,
    ``1-3`` or ``1,4-5``.

    A lone number of 6 or 7 digits may also be a trace id prefix made of
    digits only (about 6 % of 6-character prefixes are): :func:`choose`
    takes it as an index when the log has that many flows, else as a
    prefix.  Eight digits or more are always a prefix.
    """
    if spec.isdigit():
        return len(spec) < 8
    return bool(_INDEXES.match(spec))


def indexes(spec):
    """The numbers FLOW names, in order: ``1,4-5`` -> [1, 4, 5]."""
    numbers = []
    for part in spec.split(','):
        first, _sep, last = part.partition('-')
        for number in range(int(first), int(last or first) + 1):
            if number not in numbers:
                numbers.append(number)
    return numbers


def _selector(spec):
    if spec is None:
        return _KeepNone()
    if spec == 'last':
        return _KeepLast()
    if _may_be_prefix(spec) and is_index(spec):
        return _KeepIndexOrPrefix(spec)
    if is_index(spec):
        return _KeepIndexes(set(indexes(spec)))
    return _KeepPrefix(spec.lower())


def scan(source, spec=None, grep=None):
    """Read the log once; return the summaries of every flow in order.

    ``spec`` names the flow whose events are kept (in its summary's
    ``events``); ``grep`` marks the flows with a line holding that text
    (case-insensitive) as ``matched``.
    """
    selector = _selector(spec)
    needle = grep.lower().encode('utf-8') if grep else None
    flows = {}
    hop_flows = {}
    for line, record in source:
        hop_id = record.get('id')
        summary = hop_flows.get(hop_id)
        first = summary is None
        if first:
            parent = record.get('parent')
            if parent:
                summary = hop_flows.get(parent)
            if summary is None:
                key = record.get('trace') or (
                    None if parent else _lone_key(record)) or parent
                summary = flows.get(key)
                if summary is None:
                    summary = flows[key] = FlowSummary(key, len(flows) + 1,
                                                       record)
                    selector.started(summary)
            if hop_id:
                if len(hop_flows) >= REMEMBERED_HOPS:
                    _forget_oldest_half(hop_flows)
                hop_flows[hop_id] = summary
            summary.hops += 1
        # This runs once per event of the log: keep it lean.
        ts = record.get('ts')
        if ts:
            if ts > summary.end_ts:
                summary.end_ts = ts
            elif ts < summary.start_ts:
                summary.start_ts = ts
        kind = record.get('event')
        if kind == REQUEST:
            summary.request_seen(record, first)
        elif kind == ERROR or (record.get('status') or 0) >= 500:
            summary.error_ids.add(hop_id)
        if needle is not None and not summary.matched and \
                needle in line.lower():
            summary.matched = True
        if summary.events is not None:
            summary.events.append(record)
    for summary in flows.values():
        if summary.root_ts:
            summary.start_ts = summary.root_ts
    return list(flows.values())


def _forget_oldest_half(hop_flows):
    for hop_id in list(itertools.islice(hop_flows, len(hop_flows) // 2)):
        del hop_flows[hop_id]


def _starts_a_trace(summaries, prefix):
    return any(s.key.lower().startswith(prefix) for s in summaries)


def choose(summaries, spec='last'):
    """The summaries FLOW names; :class:`SelectionError` otherwise."""
    if not summaries:
        raise SelectionError('no flows in the log')
    if spec == 'last':
        return [summaries[-1]]
    prefix_not_index = _may_be_prefix(spec) and not (
        1 <= int(spec) <= len(summaries))
    if is_index(spec) and not (prefix_not_index and
                               _starts_a_trace(summaries, spec)):
        chosen = []
        for number in indexes(spec):
            if not 1 <= number <= len(summaries):
                raise SelectionError('no flow number %d: the log holds %d '
                                     'flow%s' % (number, len(summaries),
                                                 '' if len(summaries) == 1
                                                 else 's'))
            chosen.append(summaries[number - 1])
        return chosen
    prefix = spec.lower()
    found = [s for s in summaries if s.key.lower().startswith(prefix)]
    if not found:
        raise SelectionError('no flow whose trace id starts with %r '
                             '(see `requestshook flows`)' % spec)
    if len(found) > 1:
        listing = ', '.join('%d (%s)' % (s.index, s.key) for s in found[:5])
        raise SelectionError('%r is ambiguous: it starts %d trace ids: %s%s'
                             % (spec, len(found), listing,
                                ', ...' if len(found) > 5 else ''))
    return found


def load_flow(source, spec='last'):
    """The flow FLOW names, read in one pass; and every summary.

    Several flows (``1-3``) make one: their calls side by side, in time
    order, as when a client that sends no trace ran one command.
    """
    spec = spec or 'last'
    summaries = scan(source, spec)
    chosen = choose(summaries, spec)
    events = [record for summary in chosen
              for record in summary.events or ()]
    if len(chosen) == 1:
        return flow_module.Flow(chosen[0].key, events,
                                index=chosen[0].index), summaries
    return flow_module.Flow(','.join(s.key for s in chosen), events,
                            index=spec), summaries
