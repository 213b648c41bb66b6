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

"""A flow as the ordered messages of a sequence diagram.

Every renderer walks the same sequence, so the step numbers of the
diagram (mermaid's ``autonumber``), of the per-step page and of the HTML
page agree.  A hop gives a request message, then the messages of the
calls made while serving it, then its response; a failed hop ends with a
failure message and a hop never answered with a ``missing`` mark, which
is drawn as a note and takes no number.
"""

from requestshook.reading import calls
from requestshook.reading import flow as flow_module

REQUEST = 'request'
RESPONSE = 'response'
FAILURE = 'failure'
MISSING = 'missing'
OPT_START = 'opt'
OPT_END = 'end'


class Message(object):
    __slots__ = ('kind', 'hop', 'hop_number', 'number', 'source', 'target')

    def __init__(self, kind, hop, hop_number):
        self.kind = kind
        self.hop = hop
        self.hop_number = hop_number
        self.number = None
        if kind == REQUEST or kind == MISSING:
            self.source, self.target = hop.caller, hop.callee
        else:
            self.source, self.target = hop.callee, hop.caller

    @property
    def is_arrow(self):
        return self.kind != MISSING

    @property
    def label(self):
        """``GET /v2/images`` or ``201 Created``, before placeholders."""
        if self.kind == REQUEST:
            return '%s %s' % (self.hop.method, self.hop.path)
        return flow_module.status_text(self.hop)


class Block(object):
    __slots__ = ('kind', 'label')

    def __init__(self, kind, label=''):
        self.kind = kind
        self.label = label


class Sequence(object):
    """``items``: messages and opt blocks in drawing order."""

    def __init__(self, flow, fold_tokens=True):
        self.flow = flow
        self.fold_tokens = fold_tokens
        self.items = []
        self.hops = []
        for root in flow.roots:
            self._add(root)
        number = 0
        for item in self.items:
            if isinstance(item, Message) and item.is_arrow:
                number += 1
                item.number = number

    @property
    def messages(self):
        return [item for item in self.items if isinstance(item, Message)]

    @property
    def arrows(self):
        return [m for m in self.messages if m.is_arrow]

    @property
    def participants(self):
        names = []
        for message in self.messages:
            for name in (message.source, message.target):
                if name not in names:
                    names.append(name)
        return names

    def request_number(self, hop):
        for message in self.messages:
            if message.hop is hop and message.kind == REQUEST:
                return message.number
        return None

    def _add(self, hop):
        self.hops.append(hop)
        hop_number = len(self.hops)
        self.items.append(Message(REQUEST, hop, hop_number))
        end = hop.served_until if hop.answered else None
        during = [c for c in hop.children
                  if end is None or c.start is None or c.start <= end]
        after = [c for c in hop.children if c not in during]
        folded = self._token_fetches(hop, during) if self.fold_tokens \
            else set()
        open_block = False
        for child in during:
            if child.id in folded and not open_block:
                self.items.append(Block(OPT_START, '%s token' % hop.callee))
                open_block = True
            elif child.id not in folded and open_block:
                self.items.append(Block(OPT_END))
                open_block = False
            self._add(child)
        if open_block:
            self.items.append(Block(OPT_END))
        if not hop.answered:
            kind = MISSING
        elif hop.failed:
            kind = FAILURE
        else:
            kind = RESPONSE
        self.items.append(Message(kind, hop, hop_number))
        for child in after:
            self._add(child)

    @staticmethod
    def _token_fetches(hop, children):
        """Ids of the serving service's own discovery + token requests."""
        folded = set()
        service = hop.callee
        for position, child in enumerate(children):
            if child.caller != service or \
                    not calls.is_token_request(child.method, child.path):
                continue
            folded.add(child.id)
            before = position - 1
            while before >= 0:
                previous = children[before]
                if previous.caller != service or \
                        previous.callee != child.callee or \
                        not calls.is_discovery(previous.method,
                                               previous.path):
                    break
                folded.add(previous.id)
                before -= 1
        return folded
