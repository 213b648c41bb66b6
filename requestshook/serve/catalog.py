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

"""The server's live index of flows: small summaries, no events.

Events are grouped into flows as :mod:`requestshook.reading.index` groups
them.  Each flow keeps what the list and the search need (root call,
services, hops, time span, statuses, errors, paths, request ids) and the
positions of its lines in the log, so its events are read back only when
its page is asked for.  Memory is bounded whatever the log's size: at
most ``max_flows`` flows are kept (the oldest are forgotten first), and
what each flow remembers is capped.
"""

import array
import collections
import threading

from requestshook import event
from requestshook.reading import index
from requestshook.reading import urls
from requestshook.serve import files

MAX_FLOWS = 5000
# Hop ids remembered to find a later event's flow (see reading/index.py).
REMEMBERED_HOPS = 200000
# Per flow: lines readable back, distinct paths and request ids kept.
MAX_FLOW_EVENTS = 20000
MAX_PATHS = 64
MAX_REQUEST_IDS = 256
# Changes remembered for the live updates of the pages.
RECENT_CHANGES = 2000

# Response (and client request) headers holding OpenStack request ids.
REQUEST_ID_HEADERS = frozenset((
    'x-openstack-request-id', 'x-compute-request-id',
    'openstack-request-id'))


class IndexedFlow(index.FlowSummary):
    """A flow summary that also knows where its lines are."""

    __slots__ = ('positions', 'generations', 'paths', 'statuses',
                 'request_ids', 'hop_ids', 'unreadable', 'forgotten')

    def __init__(self, key, number, record):
        super(IndexedFlow, self).__init__(key, number, record)
        self.positions = array.array('Q')
        self.generations = set()
        self.paths = {}
        self.statuses = set()
        self.request_ids = []
        self.hop_ids = []
        self.unreadable = 0     # lines beyond MAX_FLOW_EVENTS
        self.forgotten = False


def lone_key(record):
    """The flow of an event with neither trace nor parent.

    As :mod:`requestshook.reading.index` does: a client's calls group by
    the process that made them, anything else stands alone.
    """
    if record.get('side') == event.CLIENT and record.get('pid') is not None:
        return 'process-%s-%s' % (record.get('host') or 'unknown',
                                  record['pid'])
    return record.get('id') or 'event'


def request_ids(record):
    """The OpenStack request ids an event's headers carry, lower case."""
    found = []
    for pair in record.get('headers') or ():
        try:
            name, value = pair
        except (TypeError, ValueError):
            continue
        if str(name).lower() in REQUEST_ID_HEADERS and value:
            found.append(str(value).strip().lower())
    return found


class Catalog(object):
    """Flows by key, fed one event at a time, read by the web handlers.

    Every method takes the catalog's lock; the handlers read while the
    indexer feeds.  ``version`` grows with every change; waiters of
    :meth:`wait_for_change` learn which flows changed.
    """

    def __init__(self, max_flows=MAX_FLOWS, on_unused=None,
                 remembered_hops=REMEMBERED_HOPS):
        self.max_flows = max_flows
        self.remembered_hops = remembered_hops
        # Called with a generation number no flow points into any more.
        self.on_unused = on_unused or (lambda number: None)
        self.flows = collections.OrderedDict()
        self.by_request_id = {}
        self.hop_flows = {}
        self.generation_users = collections.Counter()
        self.retired = set()
        self.count = 0
        self.forgotten = 0
        self.skipped = 0
        self.version = 0
        self.changes = collections.deque(maxlen=RECENT_CHANGES)
        self.progress = {'read': 0, 'total': 0, 'indexing': True}
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)

    # Feeding -------------------------------------------------------------

    def feed(self, batch):
        """Index ``(position, record)`` pairs; wake the waiters once."""
        if not batch:
            return
        with self.lock:
            touched = set()
            for value, record in batch:
                touched.add(self._feed_one(value, record).key)
            self._evict()
            self._changed(touched)

    def _flow_of(self, record):
        # hop_flows holds keys, not flows: a forgotten flow is not kept
        # alive by its hops.
        flows = self.flows
        hop_id = record.get('id')
        flow = flows.get(self.hop_flows.get(hop_id))
        if flow is not None:
            return flow, False
        parent = record.get('parent')
        flow = flows.get(self.hop_flows.get(parent)) if parent else None
        if flow is None:
            key = record.get('trace') or (
                None if parent else lone_key(record)) or parent
            flow = flows.get(key)
            if flow is None:
                self.count += 1
                flow = flows[key] = IndexedFlow(key, self.count, record)
        if hop_id:
            if len(self.hop_flows) >= self.remembered_hops:
                for old in list(self.hop_flows)[:len(self.hop_flows) // 2]:
                    del self.hop_flows[old]
            self.hop_flows[hop_id] = flow.key
            if len(flow.hop_ids) < MAX_FLOW_EVENTS:
                flow.hop_ids.append(hop_id)
        flow.hops += 1
        return flow, True

    def _feed_one(self, value, record):
        flow, first = self._flow_of(record)
        ts = record.get('ts')
        if ts:
            if ts > flow.end_ts:
                flow.end_ts = ts
            if ts < flow.start_ts or not flow.start_ts:
                flow.start_ts = ts
        kind = record.get('event')
        if kind == event.REQUEST:
            flow.request_seen(record, first)
            path = urls.split(record.get('url')).path
            if len(flow.paths) < MAX_PATHS:
                flow.paths[path or '/'] = None
        else:
            status = record.get('status')
            if status:
                flow.statuses.add(status)
            if kind == event.ERROR or (status or 0) >= 500:
                flow.error_ids.add(record.get('id'))
        for request_id in request_ids(record):
            if request_id not in self.by_request_id and \
                    len(flow.request_ids) < MAX_REQUEST_IDS:
                flow.request_ids.append(request_id)
                self.by_request_id[request_id] = flow.key
        if value is None:
            return flow
        if len(flow.positions) < MAX_FLOW_EVENTS:
            flow.positions.append(value)
            generation = value >> files.OFFSET_BITS
            if generation not in flow.generations:
                flow.generations.add(generation)
                self.generation_users[generation] += 1
        else:
            flow.unreadable += 1
        return flow

    def _evict(self):
        while len(self.flows) > self.max_flows:
            _key, flow = self.flows.popitem(last=False)
            self._forget(flow)

    def _forget(self, flow):
        flow.forgotten = True
        self.forgotten += 1
        for request_id in flow.request_ids:
            if self.by_request_id.get(request_id) == flow.key:
                del self.by_request_id[request_id]
        for hop_id in flow.hop_ids:
            if self.hop_flows.get(hop_id) == flow.key:
                del self.hop_flows[hop_id]
        for generation in flow.generations:
            self._release(generation)
        flow.positions = array.array('Q')
        flow.hop_ids = []

    def _release(self, generation):
        self.generation_users[generation] -= 1
        if self.generation_users[generation] <= 0:
            del self.generation_users[generation]
            if generation in self.retired:
                self.retired.discard(generation)
                self.on_unused(generation)

    def retire(self, generation):
        """A generation no longer followed: close it once unused."""
        with self.lock:
            if self.generation_users.get(generation):
                self.retired.add(generation)
            else:
                self.on_unused(generation)

    def drop_generation(self, generation):
        """Forget the flows that point into a truncated generation."""
        with self.lock:
            gone = [flow for flow in self.flows.values()
                    if generation in flow.generations]
            for flow in gone:
                del self.flows[flow.key]
                self._forget(flow)
            self._changed(set(flow.key for flow in gone))

    def set_progress(self, read, total, indexing):
        with self.lock:
            before = dict(self.progress)
            self.progress = {'read': read, 'total': total,
                             'indexing': indexing}
            if before['indexing'] != indexing:
                self._changed(set())

    def _changed(self, keys):
        self.version += 1
        self.changes.append((self.version, frozenset(keys)))
        self.changed.notify_all()

    # Reading -------------------------------------------------------------

    def wait_for_change(self, since, timeout):
        """``(version, keys)``: keys None when too much changed to say."""
        with self.lock:
            if self.version == since:
                self.changed.wait(timeout)
            if self.version == since:
                return since, frozenset()
            if not self.changes or self.changes[0][0] > since + 1:
                return self.version, None
            keys = set()
            for version, changed in self.changes:
                if version > since:
                    keys.update(changed)
            return self.version, frozenset(keys)

    def get(self, key):
        with self.lock:
            return self.flows.get(key)

    def positions(self, key):
        """A copy of the positions of flow ``key``'s lines, or None."""
        with self.lock:
            flow = self.flows.get(key)
            if flow is None:
                return None
            return array.array('Q', flow.positions)

    def find_request_id(self, request_id):
        with self.lock:
            return self.by_request_id.get(request_id.strip().lower())

    def find(self, text):
        """The key of the flow holding request id ``text``, else of the
        one flow whose trace id is or starts with it (6 characters or
        more); None otherwise.
        """
        text = text.strip().lower()
        with self.lock:
            key = self.by_request_id.get(text)
            if key is not None or not text:
                return key
            if text in self.flows:
                return text
            if len(text) < 6:
                return None
            found = [k for k in self.flows if k.lower().startswith(text)]
            return found[0] if len(found) == 1 else None

    def newest_first(self):
        with self.lock:
            flows = list(self.flows.values())
        return sorted(flows, key=lambda f: (f.start_ts, f.index),
                      reverse=True)

    def __len__(self):
        return len(self.flows)
