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

_JSON_STRING_TAIL = r'"(?:[^"\\]|\\.)*"?'


def hash_value(value):
    """``{SHA256}`` + the first 16 hex digits of the value's digest."""
    if isinstance(value, str):
        if value.startswith(HASH_PREFIX):
            return value
        value = value.encode('utf-8', 'surrogateescape')
    elif not isinstance(value, bytes):
        value = str(value).encode('utf-8')
    return HASH_PREFIX + hashlib.sha256(value).hexdigest()[:16]


class Redactor(object):
    """Redacts events for one set of header names and body keys."""

    def __init__(self, headers=(), body_keys=()):
        self.headers = frozenset(name.strip().lower() for name in headers
                                 if name.strip())
        self.body_keys = frozenset(key.strip().lower() for key in body_keys
                                   if key.strip())
        self._text_patterns = self._compile_text_patterns()

    def _compile_text_patterns(self):
        patterns = [
            # keystone token auth method, in JSON cut short.
            (re.compile(r'("token"\s*:\s*\{[^{}]*?"id"\s*:\s*)'
                        + _JSON_STRING_TAIL), r'\1"%s"' % MASK),
        ]
        if not self.body_keys:
            return patterns
        keys = '|'.join(re.escape(key) for key in
                        sorted(self.body_keys, key=len, reverse=True))
        patterns += [
            # "key": "value"  (JSON, possibly cut inside the value)
            (re.compile(r'("(?:%s)"\s*:\s*)' % keys + _JSON_STRING_TAIL,
                        re.IGNORECASE), r'\1"%s"' % MASK),
            # key=value  (form data, query strings)
            (re.compile(r'((?:^|[&;?\s])(?:%s)=)[^&;\s]*' % keys,
                        re.IGNORECASE), r'\1%s' % MASK),
            # <key>value</key>  (XML)
            (re.compile(r'(<(%s)>)[^<]*' % keys, re.IGNORECASE),
             r'\1%s' % MASK),
        ]
        return patterns

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

    def redact_json(self, data):
        """A JSON value with secret values masked (same object if none)."""
        data = self._redact_keystone_token(data)
        if not self.body_keys:
            return data
        return self._walk(data)

    def _walk(self, value):
        if isinstance(value, dict):
            changed = None
            for key, item in value.items():
                if isinstance(key, str) and key.lower() in self.body_keys \
                        and not isinstance(item, (dict, list)):
                    new = MASK if item is not None else None
                else:
                    new = self._walk(item)
                if new is not item:
                    if changed is None:
                        changed = dict(value)
                    changed[key] = new
            return value if changed is None else changed
        if isinstance(value, list):
            changed = None
            for index, item in enumerate(value):
                new = self._walk(item)
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
        """Text with ``key: value`` / ``key=value`` secrets masked."""
        if not isinstance(text, str):
            return text
        for pattern, replacement in self._text_patterns:
            text = pattern.sub(replacement, text)
        return text

    def redact_body(self, body):
        """A body record with secrets masked (same dict if none)."""
        if not isinstance(body, dict):
            return body
        kind = body.get('kind')
        data = body.get('data')
        if kind == event_format.BODY_JSON:
            new = self.redact_json(data)
        elif kind == event_format.BODY_TEXT:
            new = self.redact_text(data)
            if new == data:
                return body
        else:
            return body
        if new is data:
            return body
        return dict(body, data=new)

    def redact_event(self, event):
        """The event with secrets redacted (the same dict if none)."""
        changes = {}
        headers = event.get('headers')
        if headers:
            new_headers = self.redact_headers(headers)
            if new_headers is not headers:
                changes['headers'] = new_headers
        for field in BODY_FIELDS:
            body = event.get(field)
            if body:
                new_body = self.redact_body(body)
                if new_body is not body:
                    changes[field] = new_body
        if not changes:
            return event
        return dict(event, **changes)
