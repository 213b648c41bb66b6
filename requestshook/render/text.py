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

"""The readable full log, in the seed's hand-made format::

    __openstack__ -> Request [1] GET http://10.0.0.11/identity
    Accept: application/json

    none

    __openstack__ <- Response [1] 300 Multiple Choices http://...
    Content-Type: application/json

    {
      "versions": ...
    }

Blocks come in step order: a call made while serving another sits
between that call's request and its response, and the work an RPC cast
caused follows the answer its sender gave.
"""

from requestshook import event
from requestshook.reading import hop as hop_module
from requestshook.reading import urls
from requestshook.render import bodies
from requestshook.render import sequence as sequence_module


def _block(first_line, headers, body):
    parts = [first_line]
    lines = bodies.header_lines(headers)
    if lines:
        parts.append(lines)
    parts += ['', bodies.render(body, headers), '']
    return '\n'.join(parts)


def _duration(hop):
    if hop.duration_ms is None:
        return ''
    return ' (%.1f ms)' % hop.duration_ms


def message_block(message):
    """One message's block; RPC hops say ``Cast``, ``Call``, ``Return``.

    ``__nova-api__ -> Cast [6] build_instances rpc://nova/conductor/...``
    """
    hop = message.hop
    caller = '__%s__' % hop.caller
    number = message.hop_number
    if message.kind == sequence_module.REQUEST:
        if hop.is_rpc:
            first = '%s -> %s [%d] %s %s' % (
                caller, 'Cast' if hop.is_cast else 'Call', number,
                hop.rpc_method, hop.url)
            if hop.fanout:
                first += ' (fanout)'
        else:
            first = '%s -> Request [%d] %s %s' % (caller, number,
                                                  hop.method, hop.url)
        return _block(first, hop.request_headers, hop.request_body)
    if message.kind == sequence_module.MISSING:
        return '%s <- No response [%d] %s %s\n' % (caller, number,
                                                   hop.method, hop.url)
    if message.kind == sequence_module.CAST_FAILURE:
        return '__%s__ !! %s [%d] %s %s: %s%s\n' % (
            message.source, 'Not sent' if hop.send_failed else 'Failed',
            number, hop.rpc_method, hop.url, hop.error, _duration(hop))
    word = 'Error' if message.kind == sequence_module.FAILURE \
        else 'Response'
    if hop.is_rpc and message.kind == sequence_module.RESPONSE:
        return _block('%s <- Return [%d] %s %s%s' % (
            caller, number, hop.rpc_method, hop.url, _duration(hop)),
            hop.response_headers, hop.response_body)
    if message.kind == sequence_module.FAILURE and \
            not hop.response_headers and not hop.response_body:
        return '%s <- Error [%d] %s %s%s\n' % (caller, number, message.label,
                                               hop.url, _duration(hop))
    return _block('%s <- %s [%d] %s %s%s' % (caller, word, number,
                                             message.label, hop.url,
                                             _duration(hop)),
                  hop.response_headers, hop.response_body)


def render(sequence):
    """Every message's block; a cast's work starts with a line saying
    what it comes after (``--- after the 202 answer: ...``).
    """
    blocks = []
    for item in sequence.items:
        if isinstance(item, sequence_module.Message):
            blocks.append(message_block(item))
        elif item.hop is not None and \
                item.kind == sequence_module.OPT_START:
            blocks.append('--- %s ---\n' % item.label)
    return '\n'.join(blocks)


def event_line(record):
    """One line for a hop's last event, as ``requestshook tail`` prints.

    ``22:13:20.004 openstack -> keystone GET /identity 300 Multiple
    Choices 4.2 ms trace 85499c14``
    """
    ts = (record.get('ts') or '')[11:23]
    url = record.get('url') or ''
    path = urls.split(url)
    call = '%s %s' % (record.get('method') or '?', (path.path or '/') +
                      ('?' + path.query if path.query else ''))
    rpc = record.get('proto') == hop_module.PROTO_RPC
    if rpc:
        call = '%s %s' % ((record.get('method') or '?').lower(),
                          url.rstrip('/').rpartition('/')[2])
    if record.get('event') == event.ERROR:
        outcome = 'error: %s' % record.get('error')
    elif record.get('event') == event.RESPONSE and rpc:
        outcome = 'done' if record.get('method') == hop_module.CAST \
            else 'returned'
    elif record.get('event') == event.RESPONSE:
        outcome = ('%s %s' % (record.get('status'),
                              record.get('reason') or '')).strip()
    else:
        outcome = '...'
    duration = record.get('duration_ms')
    return '%s %s -> %s %s %s%s trace %s' % (
        ts, record.get('from') or '?', record.get('to') or '?',
        call, outcome,
        ' %.1f ms' % duration if duration is not None else '',
        (record.get('trace') or '-')[:8])
