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

"""A flow as a mermaid ``sequenceDiagram``.

Participants come in order of first appearance, each request is a ``->>``
arrow and each response a ``-->>`` arrow saying ``201 Created``; a failed
call ends in a ``--x`` arrow, an unanswered one in a note.  An RPC cast
is an asynchronous ``-)`` arrow (``cast build_instances``) and the work
it causes sits in an ``opt`` block after the answer its sender gave.
Text is made safe for mermaid's parser with its entity codes (``#59;``
for ``;``).
"""

import re

from requestshook.render import placeholders as placeholders_module
from requestshook.render import sequence as sequence_module

DEFAULT_ALIASES = {'openstack': 'openstack-client'}
INDENT = '    '

# Words mermaid's sequence grammar reads as keywords.
_KEYWORDS = frozenset((
    'activate', 'actor', 'alt', 'and', 'as', 'autonumber', 'box', 'break',
    'create', 'critical', 'deactivate', 'destroy', 'else', 'end', 'left',
    'link', 'links', 'loop', 'note', 'of', 'opt', 'over', 'par',
    'participant', 'properties', 'details', 'rect', 'right', 'title'))
_ENTITIES = str.maketrans({'#': '#35;', ';': '#59;', '"': '#quot;',
                           '<': '#lt;', '>': '#gt;'})
_END_WORD = re.compile(r'\bend\b', re.IGNORECASE)
_MAX_TEXT = 160


def text(value, limit=_MAX_TEXT):
    """``value`` made safe for a message, note, label or block title."""
    value = ' '.join(str(value).split())
    if len(value) > limit:
        value = value[:limit - 3] + '...'
    # '%%' would start a directive ('%%{init: ...}%%') anywhere in the
    # diagram's text: a hostile path could restyle or hide arrows.
    value = value.translate(_ENTITIES).replace('%%', '%#37;')
    value = value.replace(':', '#58;') if value.startswith(':') else value
    return _END_WORD.sub(lambda m: '#%d;%s' % (ord(m.group(0)[0]),
                                               m.group(0)[1:]), value)


class Participants(object):
    """Mermaid-safe ids for service names, and their shown labels."""

    def __init__(self, names, aliases=None):
        self.aliases = dict(DEFAULT_ALIASES)
        self.aliases.update(aliases or {})
        self.ids = {}
        for name in names:
            self.ids[name] = self._unique(self._safe(name))

    @staticmethod
    def _safe(name):
        ident = re.sub(r'[^A-Za-z0-9_]', '_', name) or 'unknown'
        if ident[0].isdigit():
            ident = 'p_' + ident
        if ident.lower() in _KEYWORDS:
            ident += '_'
        return ident

    def _unique(self, ident):
        taken = set(self.ids.values())
        candidate, number = ident, 1
        while candidate in taken:
            number += 1
            candidate = '%s_%d' % (ident, number)
        return candidate

    def lines(self):
        for name, ident in self.ids.items():
            label = self.aliases.get(name, name)
            if label == ident:
                yield 'participant %s' % ident
            else:
                yield 'participant %s as %s' % (ident, text(label))

    def __getitem__(self, name):
        return self.ids[name]


def placeholders_for(sequence, enabled=True):
    """Learn the ids of every HTTP path of the flow.

    The paths of the flow's root calls (what the client asked) come
    first, then the others in step order: a server's id is ``server_id``
    as the client named it, even when nova-scheduler's ``PUT
    /allocations/{id}`` comes first.
    """
    if not enabled:
        return placeholders_module.NoPlaceholders()
    requests = [message.hop for message in sequence.messages
                if message.kind == sequence_module.REQUEST and
                not message.hop.is_rpc]
    roots = [hop for hop in requests if hop.parent_hop is None]
    return placeholders_module.Placeholders(
        hop.path for hop in roots + requests)


def request_label(hop, placeholders):
    """``GET /v2/images/{image_id}``, ``cast build_instances``."""
    if hop.is_rpc:
        return hop.call_text
    return '%s %s' % (hop.method, placeholders.apply(hop.path))


def message_label(message, placeholders):
    """What an arrow says, placeholders applied."""
    if message.kind == sequence_module.REQUEST:
        return request_label(message.hop, placeholders)
    return message.label


def body_lines(sequence, aliases=None, placeholders=None):
    """The participant, message and block lines, without the header."""
    if placeholders is None:
        placeholders = placeholders_for(sequence)
    people = Participants(sequence.participants, aliases)
    lines = list(people.lines())
    depth = 0
    for item in sequence.items:
        pad = INDENT * depth
        if isinstance(item, sequence_module.Block):
            if item.kind == sequence_module.OPT_START:
                lines.append('%sopt %s' % (pad, text(item.label)))
                depth += 1
            else:
                depth = max(depth - 1, 0)
                lines.append('%send' % (INDENT * depth))
            continue
        source, target = people[item.source], people[item.target]
        label = text(message_label(item, placeholders))
        if item.kind == sequence_module.REQUEST:
            arrow = '-)' if item.hop.is_cast else '->>'
            lines.append('%s%s%s%s: %s' % (pad, source, arrow, target,
                                           label))
        elif item.kind == sequence_module.RESPONSE:
            lines.append('%s%s-->>%s: %s' % (pad, source, target, label))
        elif item.kind == sequence_module.FAILURE:
            lines.append('%s%s--x%s: %s' % (pad, source, target, label))
        elif item.kind == sequence_module.CAST_FAILURE:
            lines.append('%sNote over %s: %s' % (pad, source, label))
        else:
            over = source if source == target else '%s,%s' % (source, target)
            lines.append('%sNote over %s: no response to %s' % (
                pad, over, text(request_label(item.hop, placeholders))))
    return lines


def render(sequence, aliases=None, placeholders=None):
    """The whole diagram: ``sequenceDiagram``, ``autonumber``, body."""
    lines = ['sequenceDiagram', INDENT + 'autonumber']
    lines += [INDENT + line for line in
              body_lines(sequence, aliases, placeholders)]
    return '\n'.join(lines) + '\n'
