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

import base64
import json

import pytest

from requestshook import event

# Every test on both JSON paths of requestshook.event (conftest.py).
pytestmark = pytest.mark.usefixtures('json_backend')


def _request(**kw):
    args = dict(side=event.SERVER, hop_id=event.new_id(),
                trace=event.new_id(), parent=None, caller='openstack',
                callee='glance-api', method='GET',
                url='http://127.0.0.1:9292/v2/images',
                headers=[('Accept', 'application/json')],
                body=event.body_record(b'', 0))
    args.update(kw)
    return event.request_event(**args)


def test_ids_are_32_hex_and_unique():
    ids = {event.new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_id_pairs_are_32_lowercase_hex_and_unique():
    ids = [one for _ in range(500) for one in event.new_ids()]
    assert len(set(ids)) == 1000
    assert all(len(i) == 32 and i == '%032x' % int(i, 16) for i in ids)


def test_timestamp_round_trip():
    text = event.timestamp(1700000000.25)
    assert text == '2023-11-14T22:13:20.250000Z'
    assert event.parse_timestamp(text) == 1700000000.25
    assert event.parse_timestamp('yesterday') is None
    assert event.parse_timestamp(None) is None


def test_environ_key():
    assert (event.environ_key(event.HEADER_REQUEST_ID)
            == 'HTTP_X_REQUESTSHOOK_REQUEST_ID')


def test_encode_is_one_line_and_decodes_back():
    body = event.body_record(b'line one\nline two\r\n\x00', 20, 'text/plain')
    ev = _request(body=body, headers=[('X-Odd', 'a\nb')])
    line = event.encode(ev)
    assert line.endswith(b'\n')
    assert line.count(b'\n') == 1
    assert event.decode(line) == json.loads(line)
    assert event.decode(line.decode('utf-8'))['body']['data'] == \
        'line one\nline two\r\n\x00'


def test_encode_keeps_non_ascii():
    ev = _request(url='http://h/v2/images?name=이미지')
    assert '이미지'.encode('utf-8') in event.encode(ev)


@pytest.mark.parametrize('line', [
    b'', b'{', b'[]', b'"text"', b'{"event": "other"}',
    b'{"v":1,"event":"request","id":"9f',
])
def test_decode_rejects_what_is_not_an_event(line):
    with pytest.raises(ValueError):
        event.decode(line)


def test_response_and_error_events():
    rsp = event.response_event(
        event.CLIENT, 'a' * 32, 'b' * 32, None, 'openstack', 'keystone',
        'POST', 'http://k/v3/auth/tokens', 201, 'Created', [],
        event.body_record(b'{}', 2, 'application/json'), 12.34567,
        request_body=event.body_record(b'{"a": 1}', 8, 'application/json'))
    assert rsp['event'] == event.RESPONSE
    assert rsp['status'] == 201 and rsp['duration_ms'] == 12.346
    assert rsp['request_body']['data'] == {'a': 1}
    err = event.error_event(event.SERVER, 'a' * 32, 'b' * 32, None, 'x', 'y',
                            'GET', 'http://y/', 'client went away', 1.0,
                            status=200)
    assert err['event'] == event.ERROR and err['status'] == 200
    assert 'request_body' not in err
    no_body = event.response_event(
        event.SERVER, 'a' * 32, None, None, 'x', 'y', 'GET', 'http://y/',
        204, 'No Content', [], event.body_record(b'', 0), 1)
    assert 'request_body' not in no_body


class TestBodyRecord(object):

    def test_empty(self):
        assert event.body_record(b'', 0, 'application/json') == {
            'kind': 'empty', 'data': None, 'size': 0, 'truncated': False}

    def test_json_is_parsed(self):
        rec = event.body_record(b'{"name": "cirros"}', 18,
                                'application/json; charset=UTF-8')
        assert rec['kind'] == 'json'
        assert rec['data'] == {'name': 'cirros'}
        assert rec['truncated'] is False

    def test_vendor_json_is_parsed(self):
        rec = event.body_record(b'[1]', 3,
                                'application/openstack-images-v2.1-json-patch')
        assert rec['kind'] == 'json'
        rec = event.body_record(b'<a/>', 4, 'application/xml')
        assert rec['kind'] == 'text'
        rec = event.body_record(b'[1]', 3, 'application/vnd.api+json')
        assert rec['kind'] == 'json'

    def test_truncated_json_is_text(self):
        rec = event.body_record(b'{"name": "cir', 18, 'application/json')
        assert rec == {'kind': 'text', 'data': '{"name": "cir', 'size': 18,
                       'truncated': True}

    def test_broken_json_is_text(self):
        rec = event.body_record(b'{oops', 5, 'application/json')
        assert rec['kind'] == 'text'

    def test_untyped_json_is_parsed(self):
        assert event.body_record(b'{"a": 1}', 8)['kind'] == 'json'

    def test_binary_keeps_base64_of_head(self):
        head = bytes(range(256))[:64]
        rec = event.body_record(head, 10 * 2 ** 20,
                                'application/octet-stream')
        assert rec['kind'] == 'binary'
        assert rec['truncated'] is True
        assert rec['size'] == 10 * 2 ** 20
        assert base64.b64decode(rec['data']) == head
        assert event.body_bytes(rec) == head

    def test_text_cut_inside_a_character_stays_text(self):
        text = '가나다'.encode('utf-8')
        rec = event.body_record(text[:4], 9, 'text/plain')
        assert rec['kind'] == 'text'
        assert rec['data'] == '가'

    def test_undecodable_untyped_is_binary(self):
        rec = event.body_record(b'\xff\xfe\x00', 3)
        assert rec['kind'] == 'binary'

    def test_omitted(self):
        rec = event.omitted_body(100, 'content type image/png')
        assert rec['kind'] == 'omitted' and rec['size'] == 100
        assert event.body_bytes(rec) == b''

    def test_body_bytes_of_each_kind(self):
        assert event.body_bytes(None) == b''
        assert event.body_bytes(event.body_record(b'hi', 2, 'text/plain')) \
            == b'hi'
        assert json.loads(event.body_bytes(
            event.body_record(b'{"a": [1]}', 10, 'application/json'))) == \
            {'a': [1]}


# -- every line is RFC 8259 JSON (issue 10, item 16) -------------------------

def _strict_loads(line):
    def refuse(token):
        raise ValueError('not RFC 8259 JSON: %s' % token)
    return json.loads(line, parse_constant=refuse)


@pytest.mark.parametrize('raw', [
    b'{"a": NaN}', b'{"a": Infinity}', b'[-Infinity]', b'{"a": 1e400}',
    b'[1, -1e999, 2]',
])
def test_non_finite_numbers_in_a_body_never_reach_the_line(raw):
    body = event.body_record(raw, len(raw), 'application/json')
    line = event.encode(_request(body=body))
    decoded = _strict_loads(line)
    assert decoded['body']['kind'] == event.BODY_TEXT
    assert decoded['body']['data'] == raw.decode()


def test_finite_numbers_stay_json():
    raw = b'{"a": 1.5, "b": 1e300, "c": -0.0}'
    body = event.body_record(raw, len(raw), 'application/json')
    assert body['kind'] == event.BODY_JSON
    assert body['data'] == {'a': 1.5, 'b': 1e300, 'c': -0.0}


@pytest.mark.parametrize('value', [float('nan'), float('inf'),
                                   float('-inf')])
def test_encode_writes_strict_json_whatever_the_event_holds(value):
    made = _request()
    made['duration_ms'] = value
    made['body'] = {'kind': event.BODY_JSON, 'data': {'x': [value]},
                    'size': 3, 'truncated': False}
    decoded = _strict_loads(event.encode(made))
    assert isinstance(decoded['duration_ms'], str)
    assert isinstance(decoded['body']['data']['x'][0], str)


# -- deeply nested JSON (issue 10, item 15) ----------------------------------

@pytest.mark.parametrize('depth', [event.MAX_JSON_DEPTH + 1, 1500, 100000])
def test_deeply_nested_json_is_kept_as_text(depth):
    raw = b'[' * depth + b']' * depth
    body = event.body_record(raw, len(raw), 'application/json')
    assert body['kind'] == event.BODY_TEXT
    assert _strict_loads(event.encode(_request(body=body)))


def test_nested_json_within_the_limit_is_parsed():
    depth = event.MAX_JSON_DEPTH
    raw = (b'{"a":' * (depth - 1) + b'[1]' + b'}' * (depth - 1))
    body = event.body_record(raw, len(raw), 'application/json')
    assert body['kind'] == event.BODY_JSON


# -- compressed bodies are decoded before they are kept (issue 10, item 9) --

def _gzip(raw):
    import gzip
    return gzip.compress(raw)


def _zlib(raw):
    import zlib
    return zlib.compress(raw)


@pytest.mark.parametrize('compress', [_gzip, _zlib])
@pytest.mark.parametrize('content_type', ['application/json', None])
def test_compressed_json_is_decoded(compress, content_type):
    raw = json.dumps({'auth': {'password': 'S3cret'}}).encode()
    packed = compress(raw)
    body = event.body_record(packed, len(packed), content_type)
    assert body['kind'] == event.BODY_JSON
    assert body['data'] == {'auth': {'password': 'S3cret'}}
    assert body['size'] == len(packed)
    assert body['encoding'] == {_gzip: 'gzip', _zlib: 'deflate'}[compress]


def test_cut_compressed_json_is_decoded_as_text():
    raw = json.dumps({'users': [{'password': 'pw%d' % index}
                                for index in range(5000)]}).encode()
    packed = _gzip(raw)
    head = packed[:len(packed) // 2]
    body = event.body_record(head, len(packed), 'application/json')
    assert body['kind'] == event.BODY_TEXT
    assert body['truncated'] is True
    assert body['data'].startswith('{"users": [{"password": "pw0"}')


def test_decompression_is_bounded():
    packed = _gzip(b'[' + b' ' * (50 << 20) + b']')
    body = event.body_record(packed, len(packed), 'application/json')
    assert body['kind'] == event.BODY_TEXT
    assert len(body['data']) <= event.MAX_DECODED_BYTES
    assert body['truncated'] is True


@pytest.mark.parametrize('content_type', ['application/json',
                                          'text/plain'])
def test_undecodable_compressed_text_is_not_kept(content_type):
    # brotli, or a gzip stream cut in its header: never kept as base64,
    # which anyone could decompress.
    head = b'\x1f\x8b\x08\x00' + bytes(range(128, 200))
    body = event.body_record(head, 1000, content_type)
    assert body['kind'] == event.BODY_OMITTED
    assert body['data'] is None
    body = event.body_record(b'\x8b\x7f\x00\xff\xfe', 5, content_type)
    assert body['kind'] == event.BODY_OMITTED


def test_compressed_images_are_kept_as_they_are():
    packed = _gzip(b'qcow2 image bytes' * 100)
    body = event.body_record(packed[:64], len(packed),
                             'application/octet-stream')
    assert body['kind'] == event.BODY_BINARY
    assert base64.b64decode(body['data']) == packed[:64]


def test_long_content_types_are_classified_but_not_kept():
    long_type = 'application/json; x=' + 'y' * 70000
    record = event.body_record(b'{"a": 1}', 8, long_type)
    assert record['kind'] == event.BODY_JSON
    assert long_type not in event._type_kinds
    event.body_record(b'{"a": 1}', 8, 'application/json')
    assert 'application/json' in event._type_kinds
