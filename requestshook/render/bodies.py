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

"""Bodies and headers as people read them.

JSON is pretty-printed, text shown as text, binary as its media type,
size and the hex of its first bytes (``<octet-stream> 0x514649fb...``),
as the seed's hand-made log did.  A body the log kept only in part says
how much of it was kept.
"""

import json

from requestshook import event

HEX_HEAD_BYTES = 32


def header_value(headers, name):
    name = name.lower()
    for pair in headers or ():
        if pair and str(pair[0]).lower() == name:
            return pair[1] if len(pair) > 1 else ''
    return None


def header_lines(headers):
    return '\n'.join('%s: %s' % (pair[0], pair[1] if len(pair) > 1 else '')
                     for pair in headers or ())


def media_type(headers):
    value = header_value(headers, 'Content-Type') or ''
    return value.split(';', 1)[0].strip().lower()


def _size(count):
    return '%d byte%s' % (count, '' if count == 1 else 's')


def language(body, headers=None):
    """The fence language of a body: ``json`` or ``text``."""
    if body and body.get('kind') == event.BODY_JSON:
        return 'json'
    media = media_type(headers)
    if body and body.get('kind') == event.BODY_TEXT and (
            media.endswith('/json') or media.endswith('+json')):
        return 'json'
    return 'text'


def render(body, headers=None):
    """A body record as text for a page or the readable log."""
    if not body or body.get('kind') == event.BODY_EMPTY:
        return 'none'
    kind = body.get('kind')
    size = body.get('size') or 0
    if kind == event.BODY_OMITTED:
        return '<omitted: %s> (%s)' % (
            body.get('reason') or 'filtered', _size(size))
    if kind == event.BODY_JSON:
        return json.dumps(body.get('data'), indent=2, ensure_ascii=False)
    if kind == event.BODY_BINARY:
        head = event.body_bytes(body)
        subtype = media_type(headers).rpartition('/')[2] or 'binary'
        text = '<%s> 0x%s' % (subtype, head[:HEX_HEAD_BYTES].hex())
        if size > HEX_HEAD_BYTES:
            text += '...'
        return text + ' (%s)' % _size(size)
    text = str(body.get('data') or '')
    if body.get('truncated'):
        kept = len(text.encode('utf-8'))
        text += '\n... (truncated: %s of %s kept)' % (
            _size(kept), _size(size))
    return text


def har_content(body):
    """``(text, encoding)`` of a body for a HAR ``content`` object."""
    if not body or body.get('data') is None:
        return None, None
    kind = body.get('kind')
    if kind == event.BODY_BINARY:
        return body['data'], 'base64'
    if kind == event.BODY_JSON:
        return json.dumps(body['data'], ensure_ascii=False), None
    return str(body['data']), None
