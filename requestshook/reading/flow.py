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

"""A flow: the call tree of one trace.

Hops hang under the hop during which they were made (their ``parent``).
A hop whose parent is missing from the log (or never named) goes under
the call its caller was serving at that moment, when exactly one such
call contains it in time; otherwise it is a root.  Siblings and roots are
in start order.
"""

import http

from requestshook.reading import calls
from requestshook.reading import hop as hop_module


def _start_key(hop):
    start = hop.start
    return (start is None, start or 0.0, hop.id)


class Flow(object):
    """The hops of one trace, merged by id and linked into a tree."""

    def __init__(self, key, events=(), index=None):
        self.key = key
        self.index = index
        self.hops = {}
        for record in events:
            self.add(record)
        self.roots = []
        self.link()

    def add(self, record):
        hop_id = record.get('id') or 'line-%d' % len(self.hops)
        hop = self.hops.get(hop_id)
        if hop is None:
            hop = self.hops[hop_id] = hop_module.Hop(hop_id)
        hop.add(record)

    def link(self):
        """Build the call tree (again) from the hops' parent ids."""
        ordered = sorted(self.hops.values(), key=_start_key)
        for hop in ordered:
            hop.children = []
            hop.parent_hop = None
            hop.parent_inferred = False
        self.roots = []
        for hop in ordered:
            parent = self.hops.get(hop.parent) if hop.parent else None
            inferred = False
            if parent is None:
                parent = self._container(hop, ordered)
                inferred = parent is not None
            if parent is None or self._would_cycle(hop, parent):
                self.roots.append(hop)
                continue
            parent.children.append(hop)
            hop.parent_hop = parent
            hop.parent_inferred = inferred

    @staticmethod
    def _would_cycle(hop, parent):
        ancestor = parent
        while ancestor is not None:
            if ancestor is hop:
                return True
            ancestor = ancestor.parent_hop
        return False

    @staticmethod
    def _container(hop, ordered):
        start = hop.start
        if start is None:
            return None
        best = None
        for candidate in ordered:
            if candidate is hop or candidate.callee != hop.caller:
                continue
            begin, end = candidate.served_from, candidate.served_until
            if begin is None or begin > start:
                continue
            if end is not None and end < start:
                continue
            if best is None or begin >= best.served_from:
                best = candidate
        return best

    def walk(self):
        """Every hop, depth first, siblings in start order."""
        for root in self.roots:
            yield from root.walk()

    @property
    def start(self):
        starts = [h.start for h in self.hops.values() if h.start is not None]
        return min(starts) if starts else None

    @property
    def end(self):
        ends = [t for h in self.hops.values() for t in (h.end, h.start)
                if t is not None]
        return max(ends) if ends else None

    @property
    def duration_ms(self):
        if self.start is None:
            return None
        return (self.end - self.start) * 1000.0

    @property
    def started_at(self):
        # The roots' callers' clocks: other hosts' may be off.
        texts = [h.started_at for h in self.roots if h.started_at] or \
            [h.started_at for h in self.hops.values() if h.started_at]
        return min(texts) if texts else None

    @property
    def services(self):
        names = []
        for hop in self.walk():
            for name in (hop.caller, hop.callee):
                if name not in names:
                    names.append(name)
        return names

    @property
    def root_call(self):
        """``openstack: POST /v2/images``: the first root call.

        Discovery and tokens are skipped when there is another root.
        """
        if not self.roots:
            return ''
        main = [hop for hop in self.roots
                if not calls.is_preliminary(hop.callee, hop.method,
                                            hop.path)]
        root = (main or self.roots)[0]
        return '%s: %s' % (root.caller, root.call_text)

    @property
    def errors(self):
        return sum(1 for hop in self.hops.values() if hop.is_error)

    def __len__(self):
        return len(self.hops)


def status_text(hop):
    """``201 Created``, ``error: ...`` or ``no response``.

    An RPC call that returned says ``returned``; a cast says ``done``
    when its receiver handled it, else ``sent`` (nothing comes back).
    """
    if hop.is_cast and not hop.failed:
        return 'done' if hop.answered else 'sent'
    if not hop.answered:
        return 'no response'
    if hop.failed:
        if hop.status:
            return '%s %s, then error: %s' % (
                hop.status, hop.reason, hop.error)
        return 'error: %s' % hop.error
    if hop.is_rpc:
        return 'returned'
    if hop.status is None:
        return 'response'
    reason = hop.reason
    if not reason:
        try:
            reason = http.HTTPStatus(hop.status).phrase
        except (TypeError, ValueError):
            reason = ''
    return ('%s %s' % (hop.status, reason)).strip()
