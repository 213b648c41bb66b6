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

"""The JSON of the event format: an event as one line, a body as a value.

Every line is strict RFC 8259 JSON on one line; a body is kept parsed
only when it is strict JSON nesting at most :data:`MAX_JSON_DEPTH`
deep.  orjson, an optional accelerator (the ``fast`` extra), makes the
same lines faster; the standard library decides whatever orjson refuses
or would write otherwise.  :mod:`requestshook.event` re-exports
:func:`encode`, :func:`parse_json` and :data:`NOT_JSON`.
"""

import json

try:    # an optional accelerator (the ``fast`` extra): same lines, faster
    import orjson as _orjson
except ImportError:     # pragma: no cover (the stdlib path is tested too)
    _orjson = None

# JSON bodies nested deeper are kept as text: walking them could exhaust
# the stack of the service.
MAX_JSON_DEPTH = 100


# What parse_json returns for a text that is not strict, shallow JSON.
NOT_JSON = object()


def _refuse_constant(token):
    raise ValueError('%s is not RFC 8259 JSON' % token)


def _finite_float(text):
    value = float(text)
    if value - value != 0.0:        # inf - inf and nan - nan are nan
        raise ValueError('%s is out of range' % text)
    return value


def _deeper_than(data, limit):
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        for child in children:
            if isinstance(child, (dict, list)):
                pending.append((child, depth + 1))
    return False


def parse_json(raw):
    """The value of a JSON text, or :data:`NOT_JSON`.

    Strict RFC 8259: ``NaN``, ``Infinity`` and numbers out of a double's
    range (``1e400``) make the text not JSON, so no log line ever holds
    them.  A text nested deeper than :data:`MAX_JSON_DEPTH` is not
    parsed either (the C decoder would raise ``RecursionError`` first
    and walking it could exhaust a service's stack).
    """
    data, openers = _fast_loads(raw)
    if data is NOT_JSON:
        try:
            data = json.loads(raw, parse_constant=_refuse_constant,
                              parse_float=_finite_float)
        except (ValueError, RecursionError):
            return NOT_JSON
    if openers is None:
        openers = raw.count(b'[' if isinstance(raw, bytes) else '[') + \
            raw.count(b'{' if isinstance(raw, bytes) else '{')
    if openers > MAX_JSON_DEPTH and isinstance(data, (dict, list)) and \
            _deeper_than(data, MAX_JSON_DEPTH):
        return NOT_JSON
    return data


# Every digit as "0" (a run of 19 of them may be an integer orjson would
# turn into a float, beyond 64 bits; the standard library keeps it) and
# "{" as "[" (the count of both tells whether the text may nest deep).
_SCAN_TABLE = bytes.maketrans(b'0123456789{', b'0000000000[')
_LONG_NUMBER = b'0' * 19


def _fast_loads(raw):
    # (orjson's value or NOT_JSON, the count of "[" and "{" or None).
    # orjson refuses what the standard library would refuse here (NaN,
    # Infinity, 1e400, control characters) and more (other encodings
    # than UTF-8, lone surrogates, deep nesting): those texts, and long
    # integers, go to the standard library, whose answer stands.
    if _orjson is None or raw.__class__ is not bytes:
        return NOT_JSON, None
    scanned = raw.translate(_SCAN_TABLE)
    openers = scanned.count(b'[')
    if _LONG_NUMBER in scanned:
        return NOT_JSON, openers
    try:
        return _orjson.loads(raw), openers
    except (ValueError, RecursionError):
        return NOT_JSON, openers


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(',', ':'),
                            default=str, allow_nan=False)


def _strict(value, depth=0):
    # A copy with NaN and infinities as strings and what nests deeper
    # than MAX_JSON_DEPTH as its text: RFC 8259 has no token for them.
    if isinstance(value, float):
        return value if value - value == 0.0 else repr(value)
    if depth > MAX_JSON_DEPTH and isinstance(value, (dict, list, tuple)):
        return '[nested deeper than %d levels]' % MAX_JSON_DEPTH
    if isinstance(value, dict):
        return {key: _strict(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(item, depth + 1) for item in value]
    return value


# orjson hands datetimes and dataclasses to ``default`` (str), as the
# standard library does.
_ORJSON_OPTIONS = (0 if _orjson is None else _orjson.OPT_APPEND_NEWLINE
                   | _orjson.OPT_PASSTHROUGH_DATETIME
                   | _orjson.OPT_PASSTHROUGH_DATACLASS)
_JSON_SCALARS = frozenset([str, int, bool, type(None)])
_COUNTED_LINE = 1024


def _json_types_only(event, verified=()):
    # True when the event holds JSON types and finite floats only: orjson
    # writes NaN and infinities as null, the standard library path as
    # strings.  The fields named in ``verified`` are not looked at.
    for key, value in event.items():
        kind = value.__class__
        if kind in _JSON_SCALARS or key in verified:
            continue
        if kind is float:
            if value - value != 0.0:
                return False
        elif kind is list and _text_pairs(value):
            continue        # headers
        elif not _json_types_within(value):
            return False
    return True


def _text_pairs(items):
    for pair in items:
        if pair.__class__ is not list or len(pair) != 2 or \
                pair[0].__class__ is not str or pair[1].__class__ is not str:
            return False
    return True


def _json_types_within(value):
    pending = [value]
    while pending:
        container = pending.pop()
        kind = container.__class__
        if kind is not dict and kind is not list and kind is not tuple:
            return False
        for item in (container.values() if kind is dict else container):
            kind = item.__class__
            if kind in _JSON_SCALARS:
                continue
            if kind is float:
                if item - item != 0.0:
                    return False
            elif kind is dict or kind is list or kind is tuple:
                pending.append(item)
            else:
                return False
    return True


def _top_level_nones(event):
    count = 0
    for value in event.values():
        if value is None:
            count += 1
    return count


def encode(event, verified=()):
    """One event as one line of UTF-8 bytes, newline included.

    Every line is RFC 8259 JSON: a non-finite float anywhere in the event
    is written as a string (``"nan"``, ``"inf"``).  JSON escapes every
    control character, so the line holds no newline but the last one.
    With orjson installed the same line is made faster (numbers may be
    spelled otherwise: ``1e300`` for ``1e+300``, the same value).

    ``verified`` names fields the caller has walked and knows to hold
    JSON types and finite floats only (the redactor's JSON bodies).
    """
    if _orjson is not None:
        try:
            line = _orjson.dumps(event, default=str, option=_ORJSON_OPTIONS)
        except TypeError:   # lone surrogates, keys not text, big ints
            line = None
        # null is None, or a non-finite float that must be written
        # otherwise.  When a short line holds no more "null" than the
        # event has None fields, every null is one of those (a text
        # holding "null" only adds some); a long one costs more to count
        # than its event to walk.
        if line is not None and (
                b'null' not in line or
                (len(line) <= _COUNTED_LINE and
                 line.count(b'null') == _top_level_nones(event)) or
                _json_types_only(event, verified)):
            return line
    try:
        text = _ENCODER.encode(event)
    except (ValueError, RecursionError):
        text = _ENCODER.encode(_strict(event))
    return (text + '\n').encode('utf-8')
