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


"""Keep secrets out of the shared log.

Applied to every event just before it is written:

- headers named in ``redact_headers`` (any case) show
  ``{SHA256}<first 16 hex digits of the value's SHA-256>``, keystoneauth's
  style, so a token issued in keystone's ``X-Subject-Token`` is still
  recognisable when a later call sends it as ``X-Auth-Token``;
- in JSON bodies, values under a key of ``redact_body_keys`` (any case, any
  depth) become ``"***"``; an object or list under such a key is walked
  instead (keystone's ``"password": {"user": {...}}`` keeps the user's name
  and loses only the password);
- the token id of a keystone ``token`` auth method
  (``{"auth": {"identity": {"token": {"id": ...}}}}``) is shown in the same
  ``{SHA256}`` form as the token headers;
- text bodies (a JSON body cut at ``max_body_bytes``, form data, XML) get a
  regular-expression pass for the same keys.

The event given is never changed: what needs redacting is copied, what
does not is shared.  Redacting an already redacted event changes nothing.
"""

import hashlib
import re

from requestshook import event as event_format

MASK = '***'
HASH_PREFIX = '{SHA256}'
BODY_FIELDS = ('body', 'request_body')

# What follows a secret key in text, up to the end of its value.
_JSON_VALUE = re.compile(r'\s*:\s*("(?:[^"\\]|\\.)*"?)')
_FORM_VALUE = re.compile(r'([^&;\s]*)')
_XML_VALUE = re.compile(r'([^<]*)')
_FORM_SEPARATORS = frozenset('&;?\n\r\t ')
_TEXT_TOKEN_ID = re.compile(
    r'("token"\s*:\s*\{[^{}]*?"id"\s*:\s*)"(?:[^"\\]|\\.)*"?')


def hash_value(value):
    """``{SHA256}`` + the first 16 hex digits of the value's digest."""
    if isinstance(value, str):
        if value.startswith(HASH_PREFIX):
            return value
        value = value.encode('utf-8', 'surrogateescape')
    elif not isinstance(value, bytes):
        value = str(value).encode('utf-8')
    return HASH_PREFIX + hashlib.sha256(value).hexdigest()[:16]


def _lower_same_length(text):
    """``text.lower()`` with the offsets of ``text``.

    U+0130 is the one character that lowers to two.
    """
    low = text.lower()
    if len(low) != len(text):
        low = text.replace('\u0130', 'i').lower()
    return low


def _opens_tag(low, position):
    start = low.rfind('<', 0, position)
    return start >= 0 and low[start + 1:start + 2] != '/' and \
        '>' not in low[start:position]


class Redactor(object):
    """Redacts events for one set of header names and body keys."""

    def __init__(self, headers=(), body_keys=()):
        self.headers = frozenset(name.strip().lower() for name in headers
                                 if name.strip())
        self.body_keys = frozenset(key.strip().lower() for key in body_keys
                                   if key.strip())
        # A key also matches as the last part of a key joined with "_":
        # "password" covers "auth_password" and "ipmi_password".
        self._suffixes = tuple('_' + key for key in self.body_keys)
        # How such a key ends in a line made by event.encode (compact
        # separators), lowered: 'password":'.
        self._line_markers = tuple(
            ('%s":' % key).encode('utf-8') for key in self.body_keys)

    def is_secret_key(self, key):
        """True for a listed key, any case, also as a ``_`` suffix."""
        if key.__class__ is not str:
            return False
        key = key.lower()
        return key in self.body_keys or key.endswith(self._suffixes)

    def encode(self, event):
        """The redacted event as one log line (:func:`event.encode`).

        The fast path for the log writer: headers, keystone token ids and
        text bodies are always redacted; JSON bodies are walked only when
        the encoded line shows one of the keys, so a body without secrets
        costs a lowercase copy and a few substring searches.
        """
        cheap = self.redact_event(event, walk_json=False)
        line = event_format.encode(cheap)
        if not self._line_markers or not self._has_json_body(cheap):
            return line
        lowered = line.lower()
        if not any(marker in lowered for marker in self._line_markers):
            return line
        full = self.redact_event(cheap)
        return line if full is cheap else event_format.encode(full)

    @staticmethod
    def _has_json_body(event):
        for field in BODY_FIELDS:
            body = event.get(field)
            if isinstance(body, dict) and \
                    body.get('kind') == event_format.BODY_JSON:
                return True
        return False

    def redact_headers(self, headers):
        """Header pairs with secret values hashed (same list if none)."""
        if not headers or not self.headers:
            return headers
        redacted = None
        for index, pair in enumerate(headers):
            if pair[0].lower() in self.headers:
                hashed = hash_value(pair[1])
                if hashed == pair[1]:
                    continue
                if redacted is None:
                    redacted = [list(item) for item in headers]
                redacted[index] = [pair[0], hashed]
        return headers if redacted is None else redacted

    def redact_json(self, data, walk=True):
        """A JSON value with secret values masked (same object if none)."""
        data = self._redact_keystone_token(data)
        if not walk or not self.body_keys:
            return data
        return self._walk(data)

    def _walk(self, value, secret=False):
        # ``secret``: a list under a secret key, whose scalars are masked.
        if isinstance(value, dict):
            changed = None
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    new = self._walk(item, isinstance(item, list)
                                     and self.is_secret_key(key))
                elif item is not None and self.is_secret_key(key):
                    new = MASK
                else:
                    continue
                if new is not item:
                    if changed is None:
                        changed = dict(value)
                    changed[key] = new
            return value if changed is None else changed
        if isinstance(value, list):
            changed = None
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    new = self._walk(item, secret and isinstance(item, list))
                elif secret and item is not None:
                    new = MASK
                else:
                    continue
                if new is not item:
                    if changed is None:
                        changed = list(value)
                    changed[index] = new
            return value if changed is None else changed
        return value

    @staticmethod
    def _redact_keystone_token(data):
        try:
            token = data['auth']['identity']['token']
            token_id = token['id']
        except (KeyError, TypeError, IndexError):
            return data
        if not isinstance(token_id, str):
            return data
        hashed = hash_value(token_id)
        if hashed == token_id:
            return data
        token = dict(token, id=hashed)
        identity = dict(data['auth']['identity'], token=token)
        auth = dict(data['auth'], identity=identity)
        return dict(data, auth=auth)

    def redact_text(self, text):
        """Text with secrets masked (the same string if none).

        Masks the values of ``"key": "value"`` (JSON, also cut short),
        ``key=value`` (form data) and ``<key>value`` (XML).
        """
        if not isinstance(text, str) or not text:
            return text
        if '"token"' in text:
            text = _TEXT_TOKEN_ID.sub(r'\1"%s"' % MASK, text)
        if not self.body_keys:
            return text
        low = _lower_same_length(text)
        spans = []
        for key in self.body_keys:
            spans.extend(self._value_spans(text, low, key))
        if not spans:
            return text
        spans.sort()
        pieces = []
        position = 0
        for start, end, mask in spans:
            if start < position:
                continue    # inside a value already masked
            pieces.append(text[position:start])
            pieces.append(mask)
            position = end
        pieces.append(text[position:])
        return ''.join(pieces)

    @staticmethod
    def _value_spans(text, low, key):
        found = low.find(key)
        while found >= 0:
            end = found + len(key)
            # "_" before: the key is the suffix of a longer one.
            before = low[found - 1] if found else ''
            after = low[end:end + 1]
            if before in ('"', '_') and after == '"':
                match = _JSON_VALUE.match(text, end + 1)
                if match:
                    yield match.start(1), match.end(1), '"%s"' % MASK
            elif after == '=' and (not before or before == '_'
                                   or before in _FORM_SEPARATORS):
                match = _FORM_VALUE.match(text, end + 1)
                yield match.start(1), match.end(1), MASK
            elif after == '>' and (before == '<' or (
                    before == '_' and _opens_tag(low, found))):
                match = _XML_VALUE.match(text, end + 1)
                yield match.start(1), match.end(1), MASK
            found = low.find(key, end)

    def redact_body(self, body, walk_json=True):
        """A body record with secrets masked (same dict if none)."""
        if not isinstance(body, dict):
            return body
        kind = body.get('kind')
        data = body.get('data')
        if kind == event_format.BODY_JSON:
            new = self.redact_json(data, walk_json)
        elif kind == event_format.BODY_TEXT:
            new = self.redact_text(data)
        else:
            return body
        if new is data or (kind == event_format.BODY_TEXT and new == data):
            return body
        return dict(body, data=new)

    def redact_event(self, event, walk_json=True):
        """The event with secrets redacted (the same dict if none).

        ``walk_json=False`` leaves the key walk of JSON bodies out (see
        :meth:`encode`).
        """
        changes = {}
        headers = event.get('headers')
        if headers:
            new_headers = self.redact_headers(headers)
            if new_headers is not headers:
                changes['headers'] = new_headers
        for field in BODY_FIELDS:
            body = event.get(field)
            if body:
                new_body = self.redact_body(body, walk_json)
                if new_body is not body:
                    changes[field] = new_body
        if not changes:
            return event
        return dict(event, **changes)
