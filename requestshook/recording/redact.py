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

- headers named in ``redact_headers`` (any case, also given as bytes)
  show ``{SHA256}<first 16 hex digits of the value's SHA-256>``,
  keystoneauth's style, so a token issued in keystone's ``X-Subject-Token``
  is still recognisable when a later call sends it as ``X-Auth-Token``;
- in JSON bodies, values under a key of ``redact_body_keys`` (any case, any
  depth) become ``"***"``; an object or list under such a key is walked
  instead (keystone's ``"password": {"user": {...}}`` keeps the user's name
  and loses only the password);
- a listed key ending in ``token`` (``token``, ``access_token``) names a
  token: its string value, and the ``id`` of an object under it, are
  shown in the ``{SHA256}`` form of the token headers;
- the token id of a keystone ``token`` auth method
  (``{"auth": {"identity": {"token": {"id": ...}}}}``) is always shown in
  that form;
- URLs (the event's ``url``, ``Location``-like headers, error messages,
  strings in JSON bodies) lose the password of their user info and the
  values of query parameters named by a body key or by
  :data:`URL_SECRET_PARAMS` (swift's ``temp_url_sig``, s3 presigned
  signatures), also percent-encoded inside another parameter, as in nova's
  noVNC ``?path=%3Ftoken%3D...``;
- text bodies (a JSON body cut at ``max_body_bytes``, form data, XML,
  HTML) get the same treatment by a search for the keys.

A value the end of a text may have cut is masked, not hashed: the digest of
a short head could be found by trying every head.

The event given is never changed: what needs redacting is copied, what
does not is shared.  Redacting an already redacted event changes nothing.
"""

import hashlib
import re

from requestshook import event as event_format

MASK = '***'
HASH_PREFIX = '{SHA256}'
BODY_FIELDS = ('body', 'request_body')
# Event fields holding text in which a URL may show.
URL_FIELDS = ('url', 'error')

# Query parameters carrying a credential that no body key names.
URL_SECRET_PARAMS = (
    'temp_url_sig',             # swift temporary URLs
    'signature',                # s3api presigned URLs, signature v2
    'x-amz-signature',          # s3api presigned URLs, signature v4
    'x-amz-security-token',
)
# Headers whose values are URLs, redacted as the event's url.
URL_HEADERS = frozenset(['location', 'content-location', 'referer',
                         'link', 'refresh'])

AUTHORIZATION_HEADERS = frozenset(['authorization', 'proxy-authorization'])
# Authorization schemes whose credentials a password gives: masked.
PASSWORD_SCHEMES = frozenset(['basic', 'digest'])

# Kinds of JSON keys and headers.
_PLAIN, _SECRET, _TOKEN, _AUTHORIZATION, _URL = range(5)
_KINDS_KEPT = 1024

# Where keystone requests and responses hold a token object with an "id":
# the v3 token auth method, the v2 token auth and the v2 token response.
_KEYSTONE_TOKEN_PATHS = (('auth', 'identity', 'token'), ('auth', 'token'),
                         ('access', 'token'))

# nova's console auth tokens are a segment of the URL's path.
_PATH_TOKEN_SEGMENT = '/os-console-auth-tokens/'
_PATH_TOKEN = re.compile('(%s)([^/?#\\s"]+)' % _PATH_TOKEN_SEGMENT)

# What follows a secret key in text, up to the end of its value.
_JSON_VALUE = re.compile(r'\s*:\s*("(?:[^"\\]|\\.)*)("?)')
_FORM_VALUE = re.compile(r'([^&;#\s]*)')
# The value of a parameter inside a percent-encoded query.
_ENCODED_VALUE = re.compile(r'((?:[^&;#\s%]|%(?!26))*)')
_XML_VALUE = re.compile(r'([^<]*)')
_FORM_SEPARATORS = frozenset('&;?#\n\r\t ')
_ENCODED_SEPARATORS = ('%3f', '%26')       # "?" and "&"
_TEXT_TOKEN_ID = re.compile(
    r'("token"\s*:\s*\{[^{}]*?"id"\s*:\s*)"(?:[^"\\]|\\.)*"?')
# scheme://user:PASSWORD@host
_USERINFO = re.compile(r'(://[^/?#@\s"\'<>:]*:)([^/?#@\s"\'<>]+)(?=@)')
_USERINFO_BYTES = re.compile(_USERINFO.pattern.encode('ascii'))
_HTML_INPUT = re.compile(r'<input\b[^>]*>', re.I)
_HTML_NAME = re.compile(r'\bname\s*=\s*["\']?([^"\'\s>]*)', re.I)
_HTML_VALUE = re.compile(r'(\bvalue\s*=\s*)("[^"]*"|\'[^\']*\'|[^\s>]*)',
                         re.I)


def hash_value(value):
    """``{SHA256}`` + the first 16 hex digits of the value's digest."""
    if isinstance(value, str):
        if value.startswith(HASH_PREFIX):
            return value
        value = value.encode('utf-8', 'surrogateescape')
    elif not isinstance(value, bytes):
        value = str(value).encode('utf-8')
    return HASH_PREFIX + hashlib.sha256(value).hexdigest()[:16]


def _replaced(data, path, value):
    """A copy of ``data`` with ``value`` at ``path`` (dicts on the way)."""
    if not path:
        return value
    return dict(data, **{path[0]: _replaced(data[path[0]], path[1:], value)})


def _conceal_credentials(value):
    # Authorization: the scheme stays; "Bearer <token>" hashes as the token.
    scheme, space, credentials = value.partition(' ')
    if not credentials.strip():
        return hash_value(value)
    if scheme.lower() in PASSWORD_SCHEMES:
        return scheme + space + MASK
    return scheme + space + hash_value(credentials)


def _hash_path_token(match):
    return match.group(1) + hash_value(match.group(2))


def _text(value):
    if isinstance(value, bytes):
        return value.decode('latin-1')
    return value if isinstance(value, str) else str(value)


def _is_token_key(low_key):
    return low_key.endswith('token')


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


def _markers(keys, suffix):
    """``key + suffix`` as lowered bytes, none holding another one."""
    found = sorted(set((key + suffix).encode('utf-8') for key in keys),
                   key=len)
    kept = []
    for marker in found:
        if not any(shorter in marker for shorter in kept):
            kept.append(marker)
    return tuple(kept)


class Redactor(object):
    """Redacts events for one set of header names and body keys."""

    def __init__(self, headers=(), body_keys=()):
        self.headers = frozenset(name.strip().lower() for name in headers
                                 if name.strip())
        self.body_keys = frozenset(key.strip().lower() for key in body_keys
                                   if key.strip())
        # A key also matches as the last part of a key joined with "_":
        # "password" covers "auth_password" and "ipmi_password".
        self._header_kinds = dict.fromkeys(URL_HEADERS, _URL)
        for name in self.headers:
            if name in AUTHORIZATION_HEADERS:
                self._header_kinds[name] = _AUTHORIZATION
            elif 'key' in name or 'pass' in name:
                self._header_kinds[name] = _SECRET
            else:
                self._header_kinds[name] = _TOKEN
        self._suffixes = tuple('_' + key for key in self.body_keys)
        self._kinds = {}
        # Keys searched for in text: in URLs and form data also the
        # parameters no body key names.
        self._text_keys = tuple(sorted(self.body_keys)) + tuple(
            param for param in URL_SECRET_PARAMS
            if param not in self.body_keys)
        # Each key under the shortest key it holds: "password" absent from
        # a text, "admin_password" needs no search.
        probes = {}
        for key in self._text_keys:
            probe = min((other for other in self._text_keys
                         if other in key), key=len)
            probes.setdefault(probe, []).append(key)
        self._text_probes = tuple(sorted(probes.items()))
        # How such a key ends in a line made by event.encode (compact
        # separators), lowered: 'password":', and how it shows in a URL.
        # A token key matters with a string or list value; an object under
        # it (keystone's token response) needs no walk for its "id".
        self._line_markers = _markers(
            [key for key in self.body_keys if not _is_token_key(key)], '":'
        ) + _markers([key for key in self.body_keys if _is_token_key(key)],
                     '":"') + _markers(
            [key for key in self.body_keys if _is_token_key(key)], '":[')
        self._line_markers += _markers(
            [key for key in self.body_keys if _is_token_key(key)],
            '":{"id":')
        self._query_markers = (_markers(self._text_keys, '=')
                               + _markers(self._text_keys, '%3d'))

    def is_secret_key(self, key):
        """True for a listed key, any case, also as a ``_`` suffix."""
        if key.__class__ is not str:
            return False
        key = key.lower()
        return key in self.body_keys or key.endswith(self._suffixes)

    def _is_secret_param(self, low_name):
        return low_name in URL_SECRET_PARAMS or \
            self.is_secret_key(low_name)

    def encode(self, event):
        """The redacted event as one log line (:func:`event.encode`).

        The fast path for the log writer: headers, URLs, keystone token
        ids and text bodies are always redacted; JSON bodies are walked
        only when the encoded line shows one of the keys, or a URL
        credential after its ``body``, so a body without secrets costs a
        lowercase copy and a few substring searches.
        """
        cheap = self.redact_event(event, walk_json=False)
        line = event_format.encode(cheap)
        if not self._has_json_body(cheap):
            return line
        lowered = line.lower()
        if not any(marker in lowered for marker in self._line_markers) \
                and not self._may_hold_url_secret(lowered):
            return line
        full = self.redact_event(cheap)
        return line if full is cheap else event_format.encode(full)

    def _may_hold_url_secret(self, lowered):
        # Bodies come after the url and the headers in an event.
        start = lowered.find(b'body":')
        if start < 0:
            return False
        if lowered.find(b'@', start) >= 0 and \
                _USERINFO_BYTES.search(lowered, start):
            return True
        if lowered.find(b'=', start) < 0 and \
                lowered.find(b'%', start) < 0:
            return False
        return any(lowered.find(marker, start) >= 0
                   for marker in self._query_markers)

    @staticmethod
    def _has_json_body(event):
        for field in BODY_FIELDS:
            body = event.get(field)
            if isinstance(body, dict) and \
                    body.get('kind') == event_format.BODY_JSON:
                return True
        return False

    def redact_headers(self, headers):
        """Header pairs with secret values hashed (same list if none).

        URLs in ``Location``-like headers are redacted as the event's
        ``url``.
        """
        if not headers:
            return headers
        redacted = None
        for index, pair in enumerate(headers):
            name = pair[0]
            if name.__class__ is not str:
                name = _text(name)
            kind = self._header_kinds.get(name.lower())
            if kind is None:
                continue
            if kind == _TOKEN:
                new = hash_value(pair[1])
            elif kind == _SECRET:
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

    def redact_url(self, text):
        """A URL (or a text holding URLs) without its credentials.

        Masks the password of ``scheme://user:password@``; hashes the
        values of query parameters named like a token, masks those of the
        other secret ones; the same string if nothing changed.
        """
        if not isinstance(text, str) or not text:
            return text
        new = text
        if '=' in new or '%3' in new:
            new = self._mask_keys(new, form_only=True, whole=True)
        if _PATH_TOKEN_SEGMENT in new:
            new = _PATH_TOKEN.sub(_hash_path_token, new)
        if '://' in new and '@' in new:
            new = _USERINFO.sub(r'\1' + MASK, new)
        return text if new == text else new

    def redact_json(self, data, walk=True):
        """A JSON value with secret values masked (same object if none)."""
        data = self._redact_keystone_token(data)
        if not walk:
            return data
        return self._walk(data)

    def _key_kind(self, key):
        # PLAIN, SECRET or TOKEN; the kinds of the last keys seen are kept.
        kind = self._kinds.get(key)
        if kind is None:
            if not self.is_secret_key(key):
                kind = _PLAIN
            elif _is_token_key(key.lower()):
                kind = _TOKEN
            else:
                kind = _SECRET
            if len(self._kinds) >= _KINDS_KEPT:
                self._kinds.clear()
            self._kinds[key] = kind
        return kind

    def _walk(self, value, secret=False, token=False):
        # ``secret``: a list under a secret key, whose scalars are masked;
        # ``token``: an object under a token key, whose id is hashed.
        if isinstance(value, dict):
            changed = None
            for key, item in value.items():
                if item is None:
                    continue
                kind = self._key_kind(key)
                if isinstance(item, (dict, list)):
                    new = self._walk(
                        item, kind != _PLAIN and isinstance(item, list),
                        kind == _TOKEN)
                elif kind == _TOKEN and item.__class__ is str:
                    new = hash_value(item)
                elif kind != _PLAIN:
                    new = MASK
                elif token and key == 'id' and item.__class__ is str:
                    new = hash_value(item)
                elif item.__class__ is str:
                    new = self._redact_string(item)
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
                elif item.__class__ is str:
                    new = self._redact_string(item)
                else:
                    continue
                if new is not item:
                    if changed is None:
                        changed = list(value)
                    changed[index] = new
            return value if changed is None else changed
        return value

    def _redact_string(self, text):
        if '=' in text or '%3' in text or '://' in text:
            return self.redact_url(text)
        return text

    @staticmethod
    def _redact_keystone_token(data):
        for path in _KEYSTONE_TOKEN_PATHS:
            try:
                token = data
                for key in path:
                    token = token[key]
                token_id = token['id']
            except (KeyError, TypeError, IndexError):
                continue
            if not isinstance(token_id, str):
                continue
            hashed = hash_value(token_id)
            if hashed != token_id:
                return _replaced(data, path, dict(token, id=hashed))
        return data

    def redact_text(self, text):
        """Text with secrets masked (the same string if none).

        Masks the values of ``"key": "value"`` (JSON, also cut short),
        ``key=value`` (form data, URLs, also percent-encoded),
        ``<key>value`` (XML), ``<input name="key" value="...">`` (HTML)
        and the password of ``scheme://user:password@``.
        """
        if not isinstance(text, str) or not text:
            return text
        new = text
        if '"token"' in new:
            new = _TEXT_TOKEN_ID.sub(r'\1"%s"' % MASK, new)
        new = self._mask_keys(new)
        if '://' in new and '@' in new:
            new = _USERINFO.sub(r'\1' + MASK, new)
        if '<input' in new or '<INPUT' in new:
            new = _HTML_INPUT.sub(self._redact_input, new)
        return text if new == text else new

    def _redact_input(self, match):
        tag = match.group(0)
        name = _HTML_NAME.search(tag)
        if not name or not self._is_secret_param(name.group(1).lower()):
            return tag
        token = _is_token_key(name.group(1).lower())

        def conceal(value):
            quote = value.group(2)[:1] if value.group(2)[:1] in '"\'' \
                else ''
            inner = value.group(2)[len(quote):len(value.group(2))
                                   - len(quote)]
            if not inner:
                return value.group(0)
            shown = hash_value(inner) if token else MASK
            return value.group(1) + quote + shown + quote
        return _HTML_VALUE.sub(conceal, tag, count=1)

    def _mask_keys(self, text, form_only=False, whole=False):
        # ``form_only``: key=value only (URLs); ``whole``: the text is not
        # cut, a value at its end is complete.
        low = _lower_same_length(text)
        spans = []
        for probe, keys in self._text_probes:
            if probe not in low:
                continue
            for key in keys:
                spans.extend(self._value_spans(
                    text, low, key, form_only or key not in self.body_keys,
                    whole))
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

    def _value_spans(self, text, low, key, form_only, whole):
        token = _is_token_key(key)
        found = low.find(key)
        while found >= 0:
            end = found + len(key)
            # "_" before: the key is the suffix of a longer one.
            before = low[found - 1] if found else ''
            after = low[end:end + 1]
            if before in ('"', '_') and after == '"' and not form_only:
                match = _JSON_VALUE.match(text, end + 1)
                if match:
                    value = match.group(1)
                    if token and match.group(2) and len(value) > 1:
                        shown = '"%s"' % hash_value(value[1:])
                    else:
                        shown = '"%s"' % MASK
                    yield match.start(1), match.end(2), shown
            elif after == '=' or low.startswith('%3d', end):
                if not before or before == '_' or \
                        before in _FORM_SEPARATORS or \
                        low[found - 3:found] in _ENCODED_SEPARATORS:
                    if after == '=':
                        match = _FORM_VALUE.match(text, end + 1)
                    else:
                        match = _ENCODED_VALUE.match(text, end + 3)
                    span = self._concealed(text, match, token, whole)
                    if span:
                        yield span
            elif after == '>' and not form_only and (before == '<' or (
                    before == '_' and _opens_tag(low, found))):
                match = _XML_VALUE.match(text, end + 1)
                span = self._concealed(text, match, token, whole)
                if span:
                    yield span
            found = low.find(key, end)

    @staticmethod
    def _concealed(text, match, token, whole):
        value = match.group(1)
        if not value or value == MASK or value.startswith(HASH_PREFIX):
            return None
        cut = not whole and match.end(1) == len(text)
        shown = hash_value(value) if token and not cut else MASK
        return match.start(1), match.end(1), shown

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
        if new is data:
            return body
        return dict(body, data=new)

    def redact_event(self, event, walk_json=True):
        """The event with secrets redacted (the same dict if none).

        ``walk_json=False`` leaves the key walk of JSON bodies out (see
        :meth:`encode`).
        """
        changes = {}
        for field in URL_FIELDS:
            text = event.get(field)
            if text:
                new_text = self.redact_url(text)
                if new_text is not text:
                    changes[field] = new_text
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
