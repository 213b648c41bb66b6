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

"""The one definition of the shared log's format and the header protocol.

The capture side (middleware, outbound hook) builds events with the
functions here; the reading side (flows, renderers) decodes them with the
functions here.  This module imports nothing but the standard library
(and :mod:`requestshook.event_json`, its JSON, which may use orjson), so
the reader never pulls in webob, oslo or requests.

One event is one JSON object on one line::

    {"v": 1, "event": "request", "side": "server", "id": "9f..",
     "trace": "31..", "parent": "a0..", "from": "openstack",
     "to": "glance-api", "host": "ctl1", "pid": 4242,
     "ts": "2026-11-23T10:15:02.123456Z", "method": "POST",
     "url": "http://127.0.0.1:9292/v2/images",
     "headers": [["Content-Type", "application/json"]],
     "body": {"kind": "json", "data": {"name": "cirros"}, "size": 17,
              "truncated": false}}

``response`` events add ``status``, ``reason`` and ``duration_ms``;
``error`` events add ``error`` (a one-line description) and
``duration_ms``, and carry ``status`` when a response had started.

A request body that streams (a server reads it while the app runs, a
client may send a file or a generator) is not known when the ``request``
event is written: that event then has ``"body": null`` and the
``response`` or ``error`` event carries it as ``request_body``.
"""

import base64
import datetime
import json
import os
import socket
import time

import zlib

from requestshook import event_json

FORMAT_VERSION = 1

# Values of "event".
REQUEST = 'request'
RESPONSE = 'response'
ERROR = 'error'
EVENT_KINDS = (REQUEST, RESPONSE, ERROR)

# Values of "side": who wrote the event.
SERVER = 'server'   # the inbound paste filter / WSGI wrapper
CLIENT = 'client'   # the outbound hook on python-requests

# Values of body["kind"].
BODY_JSON = 'json'
BODY_TEXT = 'text'
BODY_BINARY = 'binary'
BODY_EMPTY = 'empty'
BODY_OMITTED = 'omitted'

# The JSON of the format: one event as one line (encode), a body's text as
# a value (parse_json), deeper than MAX_JSON_DEPTH kept as text.
MAX_JSON_DEPTH = event_json.MAX_JSON_DEPTH
NOT_JSON = event_json.NOT_JSON
parse_json = event_json.parse_json
encode = event_json.encode

# The header protocol.
HEADER_REQUEST_ID = 'X-Requestshook-Request-Id'
HEADER_REQUEST_FROM = 'X-Requestshook-Request-From'
HEADER_TRACE_ID = 'X-Requestshook-Trace-Id'
HEADER_PARENT_ID = 'X-Requestshook-Parent-Id'
PROTOCOL_HEADERS = (HEADER_REQUEST_ID, HEADER_REQUEST_FROM,
                    HEADER_TRACE_ID, HEADER_PARENT_ID)
# Echoed by the inbound filter on the response.
ECHOED_HEADERS = (HEADER_REQUEST_ID, HEADER_REQUEST_FROM)


def environ_key(header):
    """The WSGI environ key of a request header (``HTTP_X_...``)."""
    return 'HTTP_' + header.upper().replace('-', '_')


HOSTNAME = socket.gethostname()


def new_id():
    """A new hop or trace id: 32 lowercase hex characters."""
    return os.urandom(16).hex()


def new_ids():
    """Two new ids (a hop's and its trace's), from one random draw."""
    both = os.urandom(32).hex()
    return both[:32], both[32:]


# The second of the last timestamp made now and its text up to the ".".
_this_second = (None, '')


def timestamp(when=None):
    """UTC ISO 8601 with microseconds and a ``Z``, as the log stores it."""
    if when is not None:
        moment = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
        return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    global _this_second
    second, nanoseconds = divmod(time.time_ns(), 1000000000)
    cached = _this_second
    if cached[0] != second:
        cached = _this_second = (second, time.strftime(
            '%Y-%m-%dT%H:%M:%S.', time.gmtime(second)))
    return '%s%06dZ' % (cached[1], nanoseconds // 1000)


def parse_timestamp(text):
    """Seconds since the epoch of a ``ts`` value; ``None`` if unreadable."""
    try:
        moment = datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%fZ')
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def _hop_fields(event, side, hop_id, trace, parent, caller, callee,
                method, url, when):
    return {
        'v': FORMAT_VERSION, 'event': event, 'side': side,
        'id': hop_id, 'trace': trace, 'parent': parent,
        'from': caller, 'to': callee,
        'host': HOSTNAME, 'pid': os.getpid(), 'ts': timestamp(when),
        'method': method, 'url': url,
    }


def request_event(side, hop_id, trace, parent, caller, callee, method, url,
                  headers, body, when=None):
    """The event written when a call starts.

    ``headers`` is a list of ``(name, value)`` pairs in wire order;
    ``body`` a dict made by :func:`body_record`.
    """
    event = _hop_fields(REQUEST, side, hop_id, trace, parent, caller, callee,
                        method, url, when)
    event['headers'] = [list(pair) for pair in headers]
    event['body'] = body
    return event


def response_event(side, hop_id, trace, parent, caller, callee, method, url,
                   status, reason, headers, body, duration_ms,
                   request_body=None, when=None):
    """The event written when the last byte of a response has passed.

    ``request_body`` is given when the request event could not hold it.
    """
    event = _hop_fields(RESPONSE, side, hop_id, trace, parent, caller,
                        callee, method, url, when)
    event['status'] = status
    event['reason'] = reason
    event['duration_ms'] = round(duration_ms, 3)
    event['headers'] = [list(pair) for pair in headers]
    event['body'] = body
    if request_body is not None:
        event['request_body'] = request_body
    return event


def error_event(side, hop_id, trace, parent, caller, callee, method, url,
                error, duration_ms, status=None, request_body=None,
                when=None):
    """The event written when a call failed or its client went away."""
    event = _hop_fields(ERROR, side, hop_id, trace, parent, caller, callee,
                        method, url, when)
    event['error'] = error
    event['duration_ms'] = round(duration_ms, 3)
    if status is not None:
        event['status'] = status
    if request_body is not None:
        event['request_body'] = request_body
    return event


def _media_type(content_type):
    return (content_type or '').split(';', 1)[0].strip().lower()


def is_json_type(content_type):
    # Also glance's application/openstack-images-v2.1-json-patch.
    return 'json' in _media_type(content_type)


def is_text_type(content_type):
    media = _media_type(content_type)
    return (media.startswith('text/') or media.endswith('+xml')
            or media in ('application/xml', 'application/javascript',
                         'application/x-www-form-urlencoded'))


# Content type -> (JSON?, JSON or text?), for the last types seen (of a
# sane length: a peer may send a 64 KiB one).
_type_kinds = {}
_TYPE_KINDS_KEPT = 256
_TYPE_KEPT_LENGTH = 256


def _type_kind(content_type):
    kept = content_type is None or (
        content_type.__class__ is str and
        len(content_type) <= _TYPE_KEPT_LENGTH)
    kind = _type_kinds.get(content_type) if kept else None
    if kind is None:
        json_type = is_json_type(content_type)
        kind = (json_type, json_type or is_text_type(content_type))
        if kept:
            if len(_type_kinds) >= _TYPE_KINDS_KEPT:
                _type_kinds.clear()
            _type_kinds[content_type] = kind
    return kind


def body_record(head, size, content_type=None, truncated=None,
                _decode=True):
    """Describe a body from the bytes kept of it.

    ``head`` is the first bytes of the body (all of it unless truncated),
    ``size`` the whole body's byte count.  JSON is stored parsed when the
    whole body was kept, text as text, anything else as base64 of the head.

    A JSON or text body (or one without a type) compressed with gzip or
    deflate is decompressed first (at most :data:`MAX_DECODED_BYTES`, or
    the head's length if more), so it can be redacted: the base64 of a
    compressed head would give its secrets to anyone who decompresses it.
    ``encoding`` then names the compression.  A JSON or text body that is
    neither UTF-8 nor of a charset it declares is not kept at all
    (compressed some other way, it could not be redacted).
    """
    if truncated is None:
        truncated = size > len(head)
    record = {'size': size, 'truncated': truncated}
    if size == 0:
        record['kind'] = BODY_EMPTY
        record['data'] = None
        return record
    json_type, textual = _type_kind(content_type)
    if _decode and (textual or not content_type):
        decoded = _decompressed(head, truncated)
        if decoded is not None:
            data, cut, encoding = decoded
            record = body_record(data, size, content_type, cut, False)
            record['encoding'] = encoding
            return record
    if not truncated and (json_type or not content_type):
        data = parse_json(head)
        if data is not NOT_JSON:
            record['data'] = data
            record['kind'] = BODY_JSON
            return record
    if textual or not content_type:
        text = _decoded_text(head, truncated, content_type)
        if text is not None:
            record['data'] = text
            record['kind'] = BODY_TEXT
            return record
        if textual or head[:2] == _GZIP_MAGIC:
            return omitted_body(size, 'not text in UTF-8 or its charset: '
                                'compressed or encoded, not redactable')
    record['kind'] = BODY_BINARY
    record['data'] = base64.b64encode(head).decode('ascii')
    return record


# Decompressed bodies keep at most this much (or the head's length).
MAX_DECODED_BYTES = 65536
_GZIP_MAGIC = b'\x1f\x8b'


def _decompressed(head, truncated):
    """``(bytes, cut, 'gzip' or 'deflate')`` or None if not compressed."""
    if head[:2] == _GZIP_MAGIC:
        encoding, wbits = 'gzip', 31
    elif len(head) > 1 and head[0] & 0x0f == 8 and \
            (head[0] << 8 | head[1]) % 31 == 0:
        encoding, wbits = 'deflate', 15
    else:
        return None
    limit = max(MAX_DECODED_BYTES, len(head))
    decompressor = zlib.decompressobj(wbits)
    try:
        data = decompressor.decompress(head, limit)
    except zlib.error:
        return None
    if not data:
        return None
    cut = truncated or not decompressor.eof or \
        bool(decompressor.unconsumed_tail)
    return data, cut, encoding


def _charset(content_type):
    for parameter in (content_type or '').split(';')[1:]:
        name, _, value = parameter.partition('=')
        if name.strip().lower() == 'charset':
            return value.strip().strip('"\'') or None
    return None


def _decoded_text(head, truncated, content_type):
    try:
        return head.decode('utf-8')
    except UnicodeDecodeError:
        if truncated:
            text = _decode_cut_utf8(head)
            if text is not None:
                return text
    charset = _charset(content_type)
    if charset:
        try:
            return head.decode(charset)
        except (LookupError, UnicodeDecodeError):
            return None
    return None


def _decode_cut_utf8(head):
    # A head cut inside a multi-byte character is still text.
    for cut in range(1, 4):
        try:
            return head[:-cut].decode('utf-8')
        except UnicodeDecodeError:
            continue
    return None


def omitted_body(size, reason):
    """A body deliberately not kept (e.g. filtered by content type)."""
    return {'kind': BODY_OMITTED, 'data': None, 'size': size,
            'truncated': size > 0, 'reason': reason}


def partial_body(head, size, content_type, reason):
    """A body seen only in part: ``size`` bytes were seen, not the rest.

    As :func:`body_record` of what was seen, ``truncated`` and with the
    ``reason`` the rest is missing (e.g. ``not read to its end``).
    """
    record = body_record(head, size, content_type, truncated=True)
    record['reason'] = reason
    return record


def body_bytes(body):
    """The bytes a body record kept (for hex dumps and HAR), or ``b''``."""
    if not body or body.get('data') is None:
        return b''
    kind = body.get('kind')
    if kind == BODY_BINARY:
        return base64.b64decode(body['data'])
    if kind == BODY_JSON:
        return json.dumps(body['data']).encode('utf-8')
    return str(body['data']).encode('utf-8')


def decode(line):
    """An event from one line; ``ValueError`` if it is not one."""
    if isinstance(line, bytes):
        line = line.decode('utf-8', errors='replace')
    event = json.loads(line)
    if not isinstance(event, dict) or event.get('event') not in EVENT_KINDS:
        raise ValueError('not a requestshook event')
    return event
