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

- headers of the header list (any case, also given as bytes) show
  ``{SHA256}<first 16 hex digits of the value's SHA-256>``, keystoneauth's
  style, so a token issued in keystone's ``X-Subject-Token`` is still
  recognisable when a later call sends it as ``X-Auth-Token``; headers
  naming a key or a password show ``***``;
- in JSON bodies, values under a key of the body key list (any case, any
  depth, also as the last part of a key joined with ``_``) become
  ``"***"``; an object or list under such a key is walked instead
  (keystone's ``"password": {"user": {...}}`` keeps the user's name);
- a key ending in ``token`` names a token: its string value, and the
  ``id`` of an object under it, are shown in the ``{SHA256}`` form;
- the token id of keystone's token auth method and v2 token response is
  always shown in that form;
- the walk over JSON bodies is :mod:`requestshook.recording.redact_json`;
  strings in JSON bodies, text bodies and URLs are scrubbed for the same
  keys in every shape (:mod:`requestshook.recording.redact_text`);
- a text or binary body of a barbican secret (``/secrets/{id}`` and
  ``/secrets/{id}/payload``) is not kept at all.

Both lists are the built-in ones (:mod:`requestshook.recording.redact_keys`)
plus the configured ones, minus those named in the explicit
``unredacted_*`` options.  A value the end of a text may have cut is
masked, not hashed: the digest of a short head could be found by trying
every head.

The event given is never changed: what needs redacting is copied, what
does not is shared.  Redacting an already redacted event changes nothing.
"""

import json
import re

from requestshook import event as event_format
from requestshook.recording import redact_json
from requestshook.recording import redact_keys
from requestshook.recording import redact_text

MASK = redact_text.MASK
HASH_PREFIX = redact_text.HASH_PREFIX
hash_value = redact_json.hash_value
WALK_BUDGET = redact_json.WALK_BUDGET
WALKED_AS_TEXT = redact_json.WALKED_AS_TEXT
JsonTooLong = redact_json.JsonTooLong
_PATH_TOKEN_SEGMENT = redact_json.PATH_TOKEN_SEGMENT

# Kinds of headers.
_HASHED, _MASKED, _AUTHORIZATION, _URL = range(4)
BODY_FIELDS = ('body', 'request_body')
URL_SECRET_PARAMS = redact_keys.URL_SECRET_PARAMS
# Headers whose values are URLs, redacted as the event's url.
URL_HEADERS = frozenset(['location', 'content-location', 'referer',
                         'link', 'refresh'])

AUTHORIZATION_HEADERS = frozenset(['authorization', 'proxy-authorization'])
# Authorization schemes whose credentials a password gives: masked.
PASSWORD_SCHEMES = frozenset(['basic', 'digest'])

# A barbican secret, whose text or binary body is the secret itself.
_SECRET_PAYLOAD_URL = re.compile(
    r'^(?:[a-z][a-z0-9+.-]*://[^/]*)?[^?#]*/secrets/[^/?#]+(?:/payload)?/?'
    r'(?:[?#]|$)', re.I)
SECRET_PAYLOAD_REASON = 'a barbican secret payload'
# Redacted URLs kept, by URL; header kinds kept, by name as sent; each
# only when at most _LENGTH_KEPT characters long (a thousand long ones
# would hold megabytes).
_URLS_KEPT = 1024
_HEADER_NAMES_KEPT = 1024
_LENGTH_KEPT = 2048
_UNSEEN = object()


# UTF-8 of the characters whose lowercase holds ASCII letters (U+0130
# lowers to "i" and a dot, the Kelvin sign U+212A to "k"): bytes.lower()
# keeps them, the text scrubber reads them as the letters.  The unit
# tests check that no other character does.
LOWERING_TO_ASCII = ('\u0130', '\u212a')
_LOWERING_TO_ASCII = tuple(char.encode('utf-8') for char in LOWERING_TO_ASCII)


def _lowers_to_ascii(lowered, start):
    for encoded in _LOWERING_TO_ASCII:
        if lowered.find(encoded, start) >= 0:
            return True
    return False


def _conceal_credentials(value):
    # Authorization: the scheme stays; "Bearer <token>" hashes as the token.
    scheme, space, credentials = value.partition(' ')
    if not credentials.strip():
        return hash_value(value)
    if scheme.lower() in PASSWORD_SCHEMES:
        return scheme + space + MASK
    return scheme + space + hash_value(credentials)


def _text(value):
    if isinstance(value, bytes):
        return value.decode('latin-1')
    return value if isinstance(value, str) else str(value)


class Redactor(redact_json.JsonWalker):
    """Redacts events for one set of header names and body keys.

    ``headers`` and ``body_keys`` add to the built-in lists;
    ``unredacted_headers`` and ``unredacted_body_keys`` remove names
    from the result.
    """

    def __init__(self, headers=(), body_keys=(), unredacted_headers=(),
                 unredacted_body_keys=()):
        self.headers = redact_keys.combine(
            redact_keys.DEFAULT_HEADERS, headers, unredacted_headers)
        self.body_keys = redact_keys.combine(
            redact_keys.DEFAULT_BODY_KEYS, body_keys, unredacted_body_keys)
        self._header_kinds = dict.fromkeys(URL_HEADERS, _URL)
        for name in self.headers:
            if name in AUTHORIZATION_HEADERS:
                self._header_kinds[name] = _AUTHORIZATION
            elif 'key' in name or 'pass' in name:
                self._header_kinds[name] = _MASKED
            else:
                self._header_kinds[name] = _HASHED
        # A key also matches as the last part of a key joined with "_":
        # "password" covers "auth_password" and "ipmi_password".
        self._suffixes = tuple('_' + key for key in self.body_keys)
        self._kinds = {}
        self._kinds_by_name = {}
        self._urls = {}
        kept = set(redact_keys.normal_names(unredacted_body_keys))
        text_keys = set(self.body_keys) | set(
            param for param in URL_SECRET_PARAMS if param not in kept)
        self._scrubber = redact_text.TextScrubber(
            text_keys, self._is_secret_param, hash_value)
        # What, in a lowered log line, sends a JSON body to the key walk:
        # every key holds one of these.
        self._line_anchor_search = redact_keys.anchor_pattern(
            redact_keys.anchors(text_keys), as_bytes=True).search

    def is_secret_key(self, key):
        """True for a listed key, any case, also as a ``_`` suffix."""
        if key.__class__ is not str:
            return False
        key = key.lower()
        return key in self.body_keys or key.endswith(self._suffixes)

    def _is_secret_param(self, name):
        return name.lower() in URL_SECRET_PARAMS or self.is_secret_key(name)

    def encode(self, event):
        """The redacted event as one log line (:func:`event.encode`).

        The fast path for the log writer: the event is redacted as
        :meth:`redact_event` does, in one pass, and encoded once.  The
        keys of JSON bodies are looked up in a set and a string is
        scrubbed only when it holds what a secret's key needs around it
        (``=``, ``:``, ``%``, ``<``).  A JSON body too long to walk
        (:data:`WALK_BUDGET`) is redacted as text only when its JSON text
        shows one of the keys or something a string may hide a secret
        in; else it stays as it is.
        """
        redacted, walked = self._redacted(event, True, False)
        # The walk leaves no NaN or infinity in what it walked.
        return event_format.encode(redacted, verified=walked)

    def _may_hold_secret(self, lowered, start):
        return bool(self._line_anchor_search(lowered, start)
                    or lowered.find(b'%', start) >= 0
                    or lowered.find(b'\\\\u', start) >= 0
                    or (lowered.find(b'@', start) >= 0
                        and lowered.find(b'://', start) >= 0)
                    or lowered.find(b'<input', start) >= 0
                    or lowered.find(b'assertion', start) >= 0
                    or _lowers_to_ascii(lowered, start))

    def redact_headers(self, headers):
        """Header pairs with secret values hashed (same list if none).

        URLs in ``Location``-like headers are redacted as the event's
        ``url``.
        """
        if not headers:
            return headers
        redacted = None
        kinds = self._kinds_by_name
        for index, pair in enumerate(headers):
            name = pair[0]
            kind = kinds.get(name, _UNSEEN) if name.__class__ is str \
                else _UNSEEN
            if kind is _UNSEEN:
                kind = self._header_kind(name)
            if kind is None:
                continue
            if kind == _HASHED:
                new = hash_value(pair[1])
            elif kind == _MASKED:
                new = MASK
            elif kind == _AUTHORIZATION:
                new = _conceal_credentials(_text(pair[1]))
            else:
                new = self.redact_url(_text(pair[1]))
            if new == pair[1]:
                continue
            if redacted is None:
                redacted = [list(item) for item in headers]
            redacted[index] = [pair[0], new]
        return headers if redacted is None else redacted

    def _header_kind(self, name):
        # The kind of a header name as sent; text names are kept.
        text = name if name.__class__ is str else _text(name)
        kind = self._header_kinds.get(text.lower())
        if name.__class__ is str and len(name) <= _LENGTH_KEPT:
            if len(self._kinds_by_name) >= _HEADER_NAMES_KEPT:
                self._kinds_by_name.clear()
            self._kinds_by_name[name] = kind
        return kind

    def redact_url(self, text):
        """A URL (or a text holding URLs) without its credentials.

        Masks the password of ``scheme://user:password@``; hashes the
        values of query parameters named like a token, masks those of the
        other secret ones; the same string if nothing changed.
        """
        if not isinstance(text, str) or not text:
            return text
        new = self._scrubber.scrub_url(text)
        if _PATH_TOKEN_SEGMENT in new:
            new = redact_json.hash_path_tokens(new)
        return text if new == text else new

    def redact_text(self, text, whole=False):
        """Text with secrets masked (the same string if none).

        ``whole``: the text is complete, not the head of a longer body.
        """
        new = self._scrubber.scrub_text(text, whole)
        if new.__class__ is str and _PATH_TOKEN_SEGMENT in new:
            new = redact_json.hash_path_tokens(new, whole)
            if new == text:
                return text
        return new

    def redact_body(self, body, walk_json=True):
        """A body record with secrets masked (same dict if none)."""
        if not isinstance(body, dict):
            return body
        kind = body.get('kind')
        data = body.get('data')
        if kind == event_format.BODY_JSON:
            try:
                new = self.redact_json(data, walk_json)
            except JsonTooLong:
                text = json.dumps(data, ensure_ascii=False)
                return dict(body, kind=event_format.BODY_TEXT,
                            data=self.redact_text(text, whole=True),
                            note=WALKED_AS_TEXT)
        elif kind == event_format.BODY_TEXT:
            new = self.redact_text(data, whole=not body.get('truncated'))
        else:
            return body
        if new is data:
            return body
        return dict(body, data=new)

    @staticmethod
    def _secret_payload(body):
        if not isinstance(body, dict) or body.get('kind') not in (
                event_format.BODY_TEXT, event_format.BODY_BINARY):
            return body
        return event_format.omitted_body(body.get('size') or 0,
                                         SECRET_PAYLOAD_REASON)

    def redact_event(self, event, walk_json=True):
        """The event with secrets redacted (the same dict if none).

        ``walk_json=False`` leaves the key walk of JSON bodies out.
        """
        return self._redacted(event, walk_json, True)[0]

    def _redacted(self, event, walk_json, too_long_as_text):
        # (the redacted event, the body fields walked whole).  A JSON
        # body too long to walk becomes text when ``too_long_as_text``,
        # else only when its text may hold a secret.
        changes = None
        url = event.get('url')
        if url:
            new_url = self._cached_url(url)
            if new_url is not url:
                changes = {'url': new_url}
        text = event.get('error')
        if text:
            new_text = self._redact_string(
                self.redact_url(text), redact_json.Budget(WALK_BUDGET))
            if new_text != text:
                changes = dict(changes or (), error=new_text)
        headers = event.get('headers')
        if headers:
            new_headers = self.redact_headers(headers)
            if new_headers is not headers:
                changes = dict(changes or (), headers=new_headers)
        payload = isinstance(url, str) and '/secrets/' in url and \
            _SECRET_PAYLOAD_URL.match(url)
        walked = ()
        for field in BODY_FIELDS:
            body = event.get(field)
            if not body:
                continue
            new_body = self._secret_payload(body) if payload else body
            if walk_json and isinstance(new_body, dict) and \
                    new_body.get('kind') == event_format.BODY_JSON:
                new_body, whole = self._walked_json(new_body,
                                                    too_long_as_text)
                if whole:
                    walked += (field,)
            else:
                new_body = self.redact_body(new_body, False)
            if new_body is not body:
                changes = dict(changes or (), **{field: new_body})
        if not changes:
            return event, walked
        return dict(event, **changes), walked

    def _walked_json(self, body, too_long_as_text):
        # (the JSON body record redacted, whether it was walked whole).
        original = data = body.get('data')
        if data.__class__ is not dict or 'auth' in data or 'access' in data:
            data = self._redact_keystone_token(original)
        try:
            new = self._walk(data, redact_json.Budget(WALK_BUDGET))
        except JsonTooLong:
            text = json.dumps(data, ensure_ascii=False)
            if too_long_as_text or self._may_hold_secret(
                    text.encode('utf-8').lower(), 0):
                return dict(body, kind=event_format.BODY_TEXT,
                            data=self.redact_text(text, whole=True),
                            note=WALKED_AS_TEXT), False
            return (body if data is original else dict(body, data=data),
                    False)
        if new is original:
            return body, True
        return dict(body, data=new), True

    def _cached_url(self, url):
        # The request and response events of a call, and the calls to
        # one resource, share their URL.
        if url.__class__ is not str or len(url) > _LENGTH_KEPT:
            return self.redact_url(url)
        new = self._urls.get(url)
        if new is None:
            new = self.redact_url(url)
            if len(self._urls) >= _URLS_KEPT:
                self._urls.clear()
            self._urls[url] = new
        return new


def for_settings(settings):
    """The :class:`Redactor` of a :class:`settings.Settings` snapshot."""
    return Redactor(settings.redact_headers, settings.redact_body_keys,
                    settings.unredacted_headers,
                    settings.unredacted_body_keys)
