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

from requestshook import event
from requestshook.render import bodies


def test_json_is_pretty_printed():
    body = event.body_record(b'{"a":[1,2]}', 11, 'application/json')
    assert bodies.render(body) == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert bodies.language(body) == 'json'


def test_binary_is_media_type_hex_head_and_size():
    head = bytes(range(40))
    body = event.body_record(head, 21233664, 'application/octet-stream')
    headers = [['Content-Type', 'application/octet-stream']]
    assert bodies.render(body, headers) == (
        '<octet-stream> 0x' + bytes(range(32)).hex() +
        '... (21233664 bytes)')
    assert bodies.language(body, headers) == 'text'


def test_short_binary_has_no_ellipsis():
    body = event.body_record(b'\xff\xfe', 2, 'application/octet-stream')
    assert bodies.render(body) == '<binary> 0xfffe (2 bytes)'


def test_truncated_text_says_how_much_was_kept():
    body = event.body_record(b'{"images": [', 70000, 'application/json')
    assert body['kind'] == event.BODY_TEXT
    text = bodies.render(body, [['Content-Type', 'application/json']])
    assert text == ('{"images": [\n... (truncated: 12 bytes of 70000 bytes '
                    'kept)')
    assert bodies.language(body, [['Content-Type', 'application/json']]) \
        == 'json'


def test_empty_missing_and_omitted():
    assert bodies.render(None) == 'none'
    assert bodies.render(event.body_record(b'', 0)) == 'none'
    assert bodies.render(event.omitted_body(1, 'content type')) == \
        '<omitted: content type> (1 byte)'


def test_headers():
    headers = [['Content-Type', 'text/plain; charset=utf-8'], ['X-A', '1']]
    assert bodies.header_lines(headers) == \
        'Content-Type: text/plain; charset=utf-8\nX-A: 1'
    assert bodies.media_type(headers) == 'text/plain'
    assert bodies.header_value(headers, 'x-a') == '1'
    assert bodies.header_value(headers, 'x-b') is None


def test_har_content():
    assert bodies.har_content(None) == (None, None)
    binary = event.body_record(b'\x00\x01', 2, 'application/octet-stream')
    assert bodies.har_content(binary) == ('AAE=', 'base64')
    assert bodies.har_content(event.body_record(b'[1]', 3)) == ('[1]', None)
