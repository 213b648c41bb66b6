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

"""The optional orjson path of requestshook.event gives what the stdlib's does.

test_event.py runs every test on both paths; here the two are compared
on the same inputs.
"""

import datetime
import json

import pytest

from requestshook import event
from requestshook import event_json

pytestmark = pytest.mark.skipif(event_json._orjson is None,
                                reason='orjson is not installed')

TEXTS = [
    b'{"a": 1, "b": [true, false, null], "c": "\\u00e9\\n"}',
    b'{"big": 123456789012345678901234567890, "neg": -9300000000000000000}',
    b'[18446744073709551615, -9223372036854775808, 1e300, -0.0, 2.5e-8]',
    b'{"a": NaN}', b'[Infinity]', b'{"a": 1e400}', b'[1, -1e999]',
    b'"\\ud800"', b'"a\x01b"', b'\xef\xbb\xbf{"bom": 1}', b'"\xff"',
    b'[' * 150 + b']' * 150, b'[' * 2000 + b']' * 2000,
    b'{"a":1,"a":2}', b' {} ', b'[1,]', b'', b'not json',
    '{"text": "given as str"}'.encode('utf-16'),
    b'0.1234567890123456789', b'{"x": 12345678901234567}',
    # orjson makes floats of integers beyond 64 bits: found beside other
    # floats, nested, negative, alone; and floats that only look like it.
    b'[1.5, 10000000000000000000000]', b'[1e19, 2.5]', b'[1e19]',
    b'{"a": {"b": [{"c": 99999999999999999999}], "d": 0.5}}',
    b'[-99999999999999999999, 0.25]', b'99999999999999999999',
    b'-9223372036854775809', b'18446744073709551616',
    b'{"s": "1234567890123456789012345", "f": 0.5}',
    b'{"f": 1.0000000000000000000001e5, "g": 12345678901234567890.5}',
    b'[' * 100 + b']' * 100, b'[' * 101 + b']' * 101,
    b'{"a":' * 100 + b'1' + b'}' * 100, b'{"a":' * 101 + b'1' + b'}' * 101,
    b'[{"a": [[{}], {"b": [1.5]}]}, [], {}]',
]


def _both(function, *args):
    fast = function(*args)
    saved, event_json._orjson = event_json._orjson, None
    try:
        return fast, function(*args)
    finally:
        event_json._orjson = saved


def _same(fast, slow):
    if slow is event.NOT_JSON:
        return fast is event.NOT_JSON
    return type(fast) is type(slow) and json.dumps(fast) == json.dumps(slow)


@pytest.mark.parametrize('raw', TEXTS)
def test_parse_json_gives_what_the_stdlib_gives(raw):
    fast, slow = _both(event.parse_json, raw)
    assert _same(fast, slow), (fast, slow)


def test_long_integers_stay_exact_integers():
    data = event.parse_json(b'{"id": 123456789012345678901234567890}')
    assert data['id'] == 123456789012345678901234567890


def _decoded(line):
    return json.loads(line, parse_constant=lambda token: pytest.fail(token))


EVENTS = [
    {'event': 'request', 'ts': 1.5, 'x': [1, 'é', None, {'k': True}]},
    {'event': 'request', 'd': float('nan'), 'parent': None},
    {'event': 'request', 'body': {'data': {'x': [float('-inf')]}}},
    {'event': 'request', 'when': datetime.datetime(2026, 1, 2, 3, 4, 5)},
    {'event': 'request', 'raw': b'bytes', 'tuple': (1, 2)},
    {'event': 'request', 'keys': {1: 'one', None: 'none'}},
    {'event': 'request', 'big': 2 ** 70, 'small': -2 ** 70},
    {'event': 'request', 'control': '\x00\x1f\x7f\u2028"\\'},
    {'event': 'request', 'deep': json.loads('[' * 150 + ']' * 150)},
]


@pytest.mark.parametrize('made', EVENTS)
def test_encode_writes_what_the_stdlib_writes(made):
    fast, slow = _both(event.encode, made)
    assert fast.endswith(b'\n') and fast.count(b'\n') == 1
    assert _decoded(fast) == _decoded(slow)


def test_lone_surrogates_fail_alike():
    made = {'event': 'request', 'bad': '\ud800'}
    for use_orjson in (True, False):
        saved = event_json._orjson
        if not use_orjson:
            event_json._orjson = None
        try:
            with pytest.raises(UnicodeEncodeError):
                event.encode(made)
        finally:
            event_json._orjson = saved


@pytest.mark.parametrize('value', [float('nan'), float('inf'),
                                   float('-inf')])
def test_the_redactors_lines_are_strict_whatever_the_body_holds(value):
    from requestshook.recording import redact
    made = {'event': 'response', 'url': 'http://h/v2', 'parent': None,
            'duration_ms': value, 'headers': [],
            'body': {'kind': event.BODY_JSON, 'size': 9, 'truncated': False,
                     'data': {'x': [value, {'y': value}], 'password': 'p'}}}
    for use_orjson in (True, False):
        saved = event_json._orjson
        if not use_orjson:
            event_json._orjson = None
        try:
            logged = _decoded(redact.Redactor().encode(made))
        finally:
            event_json._orjson = saved
        assert logged['duration_ms'] == repr(value)
        assert logged['body']['data'] == {
            'x': [repr(value), {'y': repr(value)}], 'password': '***'}
