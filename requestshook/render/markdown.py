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

"""The per-step page of the seeds: one section per message.

Each section is titled with the step's number as the diagram draws it
(``### (7) GET /image/v2/images/{image_id}``), says who calls whom, and
holds mkdocs-material tabs (``=== "Header"``, ``=== "Body"``) with fenced
blocks indented by four spaces.
"""

from requestshook.render import bodies
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module

TAB_INDENT = '    '


def _fence(language, title, content):
    lines = ['``` %s title="%s"' % (language, title.replace('"', "'"))]
    lines += (content or '').split('\n')
    lines.append('```')
    return '\n'.join(TAB_INDENT + line if line else line for line in lines)


def _tabs(title, headers, body, rpc=False):
    """The Header and Body tabs; an RPC message's header tab holds its
    context's safe fields, and is left out when it has none.
    """
    parts = []
    if headers or not rpc:
        parts += ['=== "Header"',
                  _fence('text' if rpc else 'http', title,
                         bodies.header_lines(headers)), '']
    return '\n'.join(parts + [
        '=== "Body"',
        _fence(bodies.language(body, headers), '',
               bodies.render(body, headers)),
        '',
    ])


def _name(people, name):
    return '`%s`' % people.aliases.get(name, name)


def section(message, people, placeholders, request_number=None,
            sequence=None):
    """The markdown of one message.

    ``request_number`` is the step of the request a ``missing`` mark or
    a cast's failure note stands for; ``sequence`` lets a cast say which
    steps it caused.
    """
    hop = message.hop
    call = mermaid.request_label(hop, placeholders)
    subject = hop.rpc_method if hop.is_rpc else placeholders.apply(hop.path)
    who = '%s -> %s' % (_name(people, message.source),
                        _name(people, message.target))
    if message.kind == sequence_module.REQUEST:
        title = '### (%d) %s' % (message.number, call)
        parts = [title, '', who, '']
        if hop.is_cast:
            parts += [cast_text(hop, sequence,
                                lambda name: _name(people, name)), '']
        return '\n'.join(parts + [_tabs('%s %s' % (hop.method, hop.url),
                                        hop.request_headers,
                                        hop.request_body, hop.is_rpc)])
    if message.kind == sequence_module.MISSING:
        return '\n'.join([
            '!!! warning "No response"',
            '    No response was recorded for step (%s) %s: the call '
            'was still running, or its process died.'
            % (request_number or '?', call), ''])
    if message.kind == sequence_module.CAST_FAILURE:
        what = 'could not send' if hop.send_failed else 'failed to handle'
        lines = ['!!! failure "%s %s step (%s) %s"' % (
            people.aliases.get(message.source, message.source), what,
            request_number or '?', call), '    error: %s' % hop.error]
        timing = timing_text(hop)
        if timing:
            lines.append('    ' + timing)
        return '\n'.join(lines + [''])
    status = message.label
    if hop.is_rpc and message.kind == sequence_module.RESPONSE:
        title = '### (%d) %s' % (message.number, status)
    else:
        title = '### (%d) %s %s' % (message.number, status, subject)
    parts = [title, '', who, '']
    if message.kind == sequence_module.FAILURE:
        parts += ['!!! failure "%s"' % status.replace('"', "'"), '']
    timing = timing_text(hop)
    if timing:
        parts += [timing, '']
    parts.append(_tabs('%s %s' % (status, hop.url), hop.response_headers,
                       hop.response_body, hop.is_rpc))
    return '\n'.join(parts)


def cast_text(hop, sequence=None, name=str):
    """What a cast's step says: nobody waits for it; what it caused."""
    parts = ['A cast: %s goes on without waiting for an answer.'
             % name(hop.caller)]
    if hop.send_failed:
        return 'A cast that %s could not send: %s' % (name(hop.caller),
                                                      hop.error)
    if not hop.server.request and not hop.server.final:
        parts.append('No receiver recorded handling it (a receiver '
                     'without requestshook, or the message was not '
                     'consumed yet).')
        return ' '.join(parts)
    caused = sequence.numbers(hop)[1:] if sequence is not None else []
    if caused:
        after = sequence.cast_blocks.get(hop.id)
        parts.append('The work it caused in %s, steps (%d) to (%d), %s.' % (
            name(hop.callee), caused[0], caused[-1],
            'continues after %s' % after if after
            else 'is drawn right after it'))
    if hop.server_duration_ms is not None:
        parts.append('%s handled it in %.1f ms%s.' % (
            name(hop.callee), hop.server_duration_ms,
            ', then failed: %s' % hop.error if hop.failed else ''))
    return ' '.join(parts)


def timing_text(hop):
    """``Took 4.2 ms for openstack, 3.8 ms in keystone.``"""
    parts = []
    if hop.client_duration_ms is not None:
        parts.append('%.1f ms for %s' % (hop.client_duration_ms, hop.caller))
    if hop.server_duration_ms is not None:
        parts.append('%.1f ms in %s' % (hop.server_duration_ms, hop.callee))
    return ('Took ' + ', '.join(parts) + '.') if parts else ''


def render(sequence, aliases=None, placeholders=None):
    """Every message's section, in step order."""
    if placeholders is None:
        placeholders = mermaid.placeholders_for(sequence)
    people = mermaid.Participants(sequence.participants, aliases)
    return '\n'.join(
        section(message, people, placeholders,
                sequence.request_number(message.hop), sequence)
        for message in sequence.messages)
