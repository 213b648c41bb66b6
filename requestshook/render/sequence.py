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

An RPC call is drawn like an HTTP call.  An RPC cast is a request only:
its sender goes on without waiting, so the receiver's work (the calls it
made while handling the cast) comes in an ``opt`` block after the answer
of the call during which the cast was sent (``after the 202 answer:
nova-conductor build_instances``).  A cast the receiver failed to handle
ends its block with a ``cast-failure`` note; a cast its sender could not
send has that note right after its arrow.  Order is causal: a hop's
children always follow it, and siblings are in their caller's time order,
so the hosts' clocks need not agree.
"""

from requestshook.reading import calls
from requestshook.reading import flow as flow_module

REQUEST = 'request'
RESPONSE = 'response'
FAILURE = 'failure'
MISSING = 'missing'
CAST_FAILURE = 'cast-failure'
NOTES = (MISSING, CAST_FAILURE)
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
        elif kind == CAST_FAILURE:
            self.source = self.target = \
                hop.caller if hop.send_failed else hop.callee
        else:
            self.source, self.target = hop.callee, hop.caller

    @property
    def is_arrow(self):
        return self.kind not in NOTES

    @property
    def label(self):
        """``GET /v2/images``, ``201 Created``, ``cast build_instances``,
        ``select_destinations returned``, before placeholders.
        """
        hop = self.hop
        if self.kind == REQUEST:
            return hop.call_text
        if self.kind == CAST_FAILURE:
            return '%s %s: %s' % (
                hop.rpc_method,
                'could not be sent' if hop.send_failed else 'failed',
                hop.error)
        if hop.is_rpc and self.kind == RESPONSE:
            return '%s returned' % hop.rpc_method
        return flow_module.status_text(hop)


class Block(object):
    """An ``opt`` block's start or end; ``hop`` is the cast whose work
    the block holds (None for a folded token fetch).
    """

    __slots__ = ('kind', 'label', 'hop')

    def __init__(self, kind, label='', hop=None):
        self.kind = kind
        self.label = label
        self.hop = hop


class Sequence(object):
    """``items``: messages and opt blocks in drawing order."""

    def __init__(self, flow, fold_tokens=True):
        self.flow = flow
        self.fold_tokens = fold_tokens
        self.items = []
        self.hops = []
        # Cast id -> what its work is drawn after (``the 202 answer``;
        # None: right after the cast), for casts whose work is drawn.
        self.cast_blocks = {}
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

    def numbers(self, hop):
        """The arrow numbers of ``hop`` and of the calls it caused."""
        inside = {h.id for h in hop.walk()}
        return [m.number for m in self.arrows if m.hop.id in inside]

    def request_number(self, hop):
        for message in self.messages:
            if message.hop is hop and message.kind == REQUEST:
                return message.number
        return None

    def _add(self, hop, casts=None):
        """Add ``hop``'s messages; a cast's work goes to ``casts``, for
        the caller to draw after its answer.
        """
        self.hops.append(hop)
        hop_number = len(self.hops)
        self.items.append(Message(REQUEST, hop, hop_number))
        if hop.send_failed:
            self.items.append(Message(CAST_FAILURE, hop, hop_number))
            return
        if hop.is_cast:
            if casts is None:
                self._cast_work(hop, hop_number, None)
            else:
                casts.append((hop, hop_number))
            return
        end = hop.served_until if hop.answered else None
        during = [c for c in hop.children
                  if end is None or c.start is None or c.start <= end]
        after = [c for c in hop.children if c not in during]
        sent = []
        self._children(hop, during, sent)
        if not hop.answered:
            kind = MISSING
        elif hop.failed:
            kind = FAILURE
        else:
            kind = RESPONSE
        self.items.append(Message(kind, hop, hop_number))
        answer = answer_text(hop)
        for cast, number in sent:
            self._cast_work(cast, number, answer)
        for child in after:
            self._add(child)

    def _children(self, serving, children, casts):
        folded = self._token_fetches(serving, children) \
            if self.fold_tokens else set()
        open_block = False
        for child in children:
            if child.id in folded and not open_block:
                self.items.append(Block(OPT_START,
                                        '%s token' % serving.callee))
                open_block = True
            elif child.id not in folded and open_block:
                self.items.append(Block(OPT_END))
                open_block = False
            self._add(child, casts)
        if open_block:
            self.items.append(Block(OPT_END))

    def _cast_work(self, cast, hop_number, answer):
        """The receiver's side of a cast, in an ``opt`` block."""
        if not cast.children and not cast.failed:
            return
        self.cast_blocks[cast.id] = answer
        self.items.append(Block(OPT_START, 'after %s: %s %s' % (
            answer or 'the cast', cast.callee, cast.rpc_method), cast))
        sent = []
        self._children(cast, cast.children, sent)
        if cast.failed:
            self.items.append(Message(CAST_FAILURE, cast, hop_number))
        for nested, number in sent:
            self._cast_work(nested, number, None)
        self.items.append(Block(OPT_END, hop=cast))

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


def answer_text(hop):
    """What a cast made while serving ``hop`` is drawn after:
    ``the 202 answer``, ``select_destinations returned``, or None.
    """
    if not hop.answered:
        return None
    if hop.is_rpc:
        return '%s %s' % (hop.rpc_method,
                          'failed' if hop.failed else 'returned')
    if hop.status:
        return 'the %s answer' % hop.status
    return 'the error' if hop.failed else 'the answer'
