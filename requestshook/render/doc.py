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

"""``requestshook doc``: the seed's whole page for one flow, in a folder.

``index.md`` holds the title, the command (when given), the diagram, the
numbered steps, the variables, the per-step sections and the full log.
Beside it, the parts the seed pages include with ``--8<--`` snippets
(``diagram.md``, ``body.md``, ``log.md``) and the same flow as
``flow.html`` and ``flow.har``.
"""

import os

from requestshook.reading import flow as flow_module
from requestshook.render import har
from requestshook.render import html
from requestshook.render import markdown
from requestshook.render import mermaid
from requestshook.render import text

FILES = ('index.md', 'diagram.md', 'body.md', 'log.md', 'flow.html',
         'flow.har')


def _indent(block, pad='    '):
    return '\n'.join(pad + line if line else line
                     for line in block.rstrip('\n').split('\n'))


def step_list(sequence, people, placeholders):
    """``1. (1-2) `openstack-client` -> `keystone`: GET /identity ...``"""
    lines = []
    numbers = {}
    for message in sequence.messages:
        numbers.setdefault(message.hop.id, []).append(message.number)
    for position, hop in enumerate(sequence.hops, 1):
        first, last = (numbers.get(hop.id, []) + [None, None])[:2]
        steps = '(%s-%s)' % (first, last) if last else '(%s)' % first
        outcome = flow_module.status_text(hop)
        timing = ''
        if hop.duration_ms is not None:
            timing = ' in %.1f ms' % hop.duration_ms
        lines.append('%d. %s `%s` -> `%s`: `%s` -> %s%s' % (
            position, steps, people.aliases.get(hop.caller, hop.caller),
            people.aliases.get(hop.callee, hop.callee),
            mermaid.request_label(hop, placeholders), outcome, timing))
    return '\n'.join(lines) + '\n'


def index_page(sequence, title, command=None, aliases=None,
               placeholders=None, log_name='requestshook.log'):
    if placeholders is None:
        placeholders = mermaid.placeholders_for(sequence)
    people = mermaid.Participants(sequence.participants, aliases)
    flow = sequence.flow
    parts = ['# %s' % title, '']
    if command:
        parts += ['## Command', '', '``` bash', '$ %s' % command, '```', '']
    parts += ['Trace `%s`, recorded %s: %d calls between %s.' % (
        flow.key, flow.started_at or 'at an unknown time',
        len(sequence.hops),
        ', '.join('`%s`' % people.aliases.get(n, n)
                  for n in sequence.participants)), '']
    parts += ['## Sequence Diagram', '', '``` mermaid',
              mermaid.render(sequence, aliases, placeholders).rstrip('\n'),
              '```', '']
    table = placeholders.table()
    if table:
        parts += [table]
    parts += ['## Steps', '', step_list(sequence, people, placeholders)]
    parts += ['## Request / Response', '',
              '!!! warning "X-Requestshook-* headers"',
              '    The `X-Requestshook-*` headers were added by requestshook '
              'to follow the calls; OpenStack does not send them.', '',
              markdown.render(sequence, aliases, placeholders)]
    parts += ['## Full Log', '',
              '??? quote "%s"' % log_name,
              '    ``` text title=""',
              _indent(text.render(sequence)), '    ```', '']
    return '\n'.join(parts)


def write(sequence, directory, title=None, command=None, aliases=None,
          placeholders=None):
    """Write the page's files into ``directory``; return their paths."""
    if placeholders is None:
        placeholders = mermaid.placeholders_for(sequence)
    title = title or command or sequence.flow.root_call or sequence.flow.key
    os.makedirs(directory, exist_ok=True)
    contents = {
        'index.md': index_page(sequence, title, command, aliases,
                               placeholders),
        'diagram.md': '\n'.join(mermaid.body_lines(
            sequence, aliases, placeholders)) + '\n',
        'body.md': markdown.render(sequence, aliases, placeholders),
        'log.md': text.render(sequence),
        'flow.html': html.render(sequence, aliases, placeholders, title),
        'flow.har': har.render(sequence),
    }
    paths = []
    for name in FILES:
        path = os.path.join(directory, name)
        with open(path, 'w', encoding='utf-8') as stream:
            stream.write(contents[name])
        paths.append(path)
    return paths
