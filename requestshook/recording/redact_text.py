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


"""Secrets in text: bodies kept as text, URLs, strings in JSON.

A text is searched for the values of secret keys in every shape they
take in OpenStack traffic:

- JSON, also cut short, also inside a JSON string (``\\"password\\":``):
  ``"key": "value"``, ``"key": ["v", ...]``, ``"key": 12``, and the
  ``id`` of an object under a token key; a key written with ``\\u``
  escapes (``"\\u0070assword"``) is decoded first;
- form data and queries: ``key=value``, also percent-encoded inside
  another parameter (``?path=%3Ftoken%3D...``) and with a percent-encoded
  key name (``%70assword=``);
- INI and YAML: ``key = value``, ``key: value`` (to the end of the line);
- XML ``<key>value</key>``, HTML ``<input name="key" value="...">``, SAML
  assertions (``<saml:Assertion ...>...</saml:Assertion>``, all masked);
- the password of ``scheme://user:password@``.

Time is linear in the text: every pattern either starts at a literal or
at a key boundary, and a value is consumed by the match that masks it,
so no part of the text is scanned again and again.  Python works once per
secret found; past :data:`MAX_SECRETS` in one text the rest of the text
is masked as a whole, so a hostile body costs at most that much.
"""

import json
import re
import urllib.parse

from requestshook.recording import redact_keys

MASK = '***'
HASH_PREFIX = '{SHA256}'
MAX_SECRETS = 1024
REST_MASKED = MASK + ' [requestshook: more than %d secrets, the rest of ' \
    'this text is masked]' % MAX_SECRETS
# How far back a "<" is looked for, to tell <x_password> from
# </x_password>: tag names are short.
_TAG_REACH = 256

# A key starts where no letter or digit precedes it (the boundary
# trie_pattern checks), or right after a percent-encoded "?" or "&".
_KEY_BOUNDARY = '[a-z0-9]'
_JSON_STRING = r'\\*"[^"\\]*(?:\\.[^"\\]*)*"?'
# Python's repr of a str (in error messages, faults): 'x', u'x', b'x'
_PYTHON_STRING = r"[ub]?'[^'\\]*(?:\\.[^'\\]*)*'?"
_JSON_VALUE = (r'(?P<jv>%s|%s|\[[^\]]*\]?|(?!null\b)[a-z0-9.+-]+)'
               % (_JSON_STRING, _PYTHON_STRING))
_FORM_VALUE = r'(?P<fv>[^&;#\s"<>\\]*)'
# key="value" and key='value' (INI, shell, HTML attributes)
_QUOTED_VALUE = r'(?P<qv>"[^"\r\n]*"?|\'[^\'\r\n]*\'?)'
_URL_VALUE = r'(?P<fv>[^&;#\s]*)'
_ENCODED_CHARS = r'[^&;#\s%"<>\\]*'
_ENCODED_VALUE = r'(?P<ev>%s(?:%%(?!26|3b|23|20|22)%s)*)' % (
    _ENCODED_CHARS, _ENCODED_CHARS)

_KEY_VALUES = (
    r'\\*["\']\s*:\s*(?:(?P<tobj>\{)|' + _JSON_VALUE + ')'
    r'|=(?:' + _QUOTED_VALUE + r'|(?![ \t])' + _FORM_VALUE + ')'
    r'|%3d' + _ENCODED_VALUE +
    r'|(?:[ \t]+=[ \t]*|=[ \t]+|[ \t]*:[ \t]+)(?P<iv>[^\r\n]*)')
_TEXT_KEYS = r'(?P<key>KEYS)(?:' + _KEY_VALUES + \
    r'|(?P<xml>>)(?P<xv>[^<]*))'
# The text after a closing tag holds no "<": no tag opens in it.
_NOT_XML_KEYS = r'(?P<key>KEYS)(?:' + _KEY_VALUES + ')'

_URL_KEYS = r'(?P<key>KEYS)(?:=' + _URL_VALUE + r'|%3d' + \
    _ENCODED_VALUE + r')'
# A key inside a percent-encoded query: ?path=%3Ftoken%3D...
_ENCODED_KEYS = r'%(?:3f|26)(?P<key>KEYS)%3d' + _ENCODED_VALUE
# How far a token object's "id" is looked for, before its first nested
# object.
_TOKEN_REACH = 4096
_TOKEN_ID = re.compile(r'"id\\*"\s*:\s*(?P<tv>' + _JSON_STRING + ')')

# A key name holding a percent-escape of a letter, digit or "_.-~"
# (which no client needs to escape), followed by a value.
_UNRESERVED_ESCAPE = r'%(?:3[0-9]|[46][1-9a-f]|[57][0-9a]|5f|2d|2e|7e)'
_HAS_UNRESERVED_ESCAPE = re.compile(_UNRESERVED_ESCAPE)
_PERCENT_KEY = re.compile(
    r'(?<![a-z0-9_.~%-])(?P<pkey>[a-z0-9_.~-]*'
    + _UNRESERVED_ESCAPE + r'[a-z0-9_.~%-]*)'
    r'=(?=' + _FORM_VALUE + ')')
# A JSON key holding a \u escape.
_ESCAPED_KEY = re.compile(
    r'"(?P<ukey>[^"\\]{0,256}\\u[^"]{0,256})"\s*:\s*(?=' + _JSON_VALUE +
    ')')
# scheme://user:PASSWORD@host
USERINFO = re.compile(r'(://[^/?#@\s"\'<>:]*:)([^/?#@\s"\'<>]+)(?=@)')
_HTML_INPUT = re.compile(r'<input\b[^<>]*>')
_HTML_NAME = re.compile(r'\bname\s*=\s*["\']?([^"\'\s>]*)')
_HTML_VALUE = re.compile(r'(\bvalue\s*=\s*)("[^"]*"|\'[^\']*\'|[^\s>]*)')
_SAML_START = re.compile(
    r'<(?P<prefix>[a-z0-9_.-]+:)?(?:encrypted)?assertion\b')
_SAML_END = re.compile(r'</(?:[a-z0-9_.-]+:)?(?:encrypted)?assertion\s*>')


def lower_same_length(text):
    """``text.lower()`` with the offsets of ``text``.

    U+0130 is the one character that lowers to two.
    """
    low = text.lower()
    if len(low) != len(text):
        low = text.replace('\u0130', 'i').lower()
    return low


class _TooMany(Exception):
    """More secrets in one text than :data:`MAX_SECRETS`."""

    def __init__(self, position):
        super(_TooMany, self).__init__(position)
        self.position = position


class _Spans(object):
    """The parts of one text to replace, and the budget of matches."""

    def __init__(self):
        self.items = []
        self.left = MAX_SECRETS
        self.end = None         # where the budget ran out

    def spend(self, position):
        self.left -= 1
        if self.left < 0:
            raise _TooMany(position)

    def add(self, start, end, shown):
        if end > start:
            self.items.append((start, end, shown))

    def apply(self, text):
        pieces = []
        position = 0
        for start, end, shown in sorted(self.items):
            if self.end is not None and start >= self.end:
                break
            if start < position:
                if end > position:      # overlapping spans: mask both
                    pieces[-1] = MASK
                    position = end
                continue
            pieces.append(text[position:start])
            pieces.append(shown)
            position = end
        if self.end is not None:
            pieces.append(text[position:self.end] if self.end > position
                          else '')
            pieces.append(REST_MASKED)
        else:
            pieces.append(text[position:])
        return ''.join(pieces)


class TextScrubber(object):
    """Masks secret values in texts for one set of keys."""

    def __init__(self, keys, is_secret_key, hash_value):
        """``keys``: lowercase key names searched for in texts.

        ``is_secret_key(name)`` decides for decoded key names;
        ``hash_value(text)`` gives a token's ``{SHA256}`` form.
        """
        self._hash = hash_value
        self._is_secret_key = is_secret_key
        keys = sorted(set(keys))
        bounded = redact_keys.trie_pattern(keys, _KEY_BOUNDARY)
        self._text_keys = re.compile(_TEXT_KEYS.replace('KEYS', bounded))
        self._not_xml_keys = re.compile(
            _NOT_XML_KEYS.replace('KEYS', bounded))
        self._url_keys = re.compile(_URL_KEYS.replace('KEYS', bounded))
        self._encoded_keys = re.compile(_ENCODED_KEYS.replace(
            'KEYS', redact_keys.trie_pattern(keys)))
        # Every key holds one of these: no anchor, no key.
        self._anchors = redact_keys.anchors(keys)
        self._anchor_search = redact_keys.anchor_pattern(
            self._anchors).search

    def may_hold_secret(self, text):
        """False when :meth:`scrub_text` surely finds nothing in ``text``.

        The conditions of the passes of :meth:`scrub_text`: every secret
        it finds is in a text holding a key, a percent or ``\\u`` escape,
        ``://`` and ``@``, ``<input`` or ``assertion``; every key it masks
        a value of is followed by ``=``, ``:``, ``%3d`` or ``>`` (after a
        ``<``).
        """
        if not self.may_hold_delimited(text):
            return False
        low = lower_same_length(text)
        return bool('%' in low or '\\u' in low or
                    ('://' in low and '@' in low) or '<input' in low or
                    'assertion' in low or self._anchor_search(low))

    @staticmethod
    def may_hold_delimited(text):
        """False when no pass of :meth:`scrub_text` can match.

        Every one needs one of these (a few memchr).
        """
        return '=' in text or ':' in text or '%' in text or '<' in text

    def scrub_text(self, text, whole=False):
        """A body's text with secrets masked (the same string if none).

        ``whole``: the text is not cut, a value at its end is complete.
        """
        if not isinstance(text, str) or not text:
            return text
        if not self.may_hold_delimited(text):
            return text
        low = lower_same_length(text)
        spans = _Spans()
        try:
            # Each match of these holds a key, so one of the anchors.
            if self._anchor_search(low):
                self._keys(self._text_keys, text, low, spans, whole)
                if '%3d' in low:
                    self._keys(self._encoded_keys, text, low, spans, whole)
            if '%' in low and _HAS_UNRESERVED_ESCAPE.search(low):
                self._percent_keys(text, low, spans, whole)
            if '\\u' in low:
                self._escaped_keys(text, low, spans, whole)
            if '://' in low and '@' in low:
                self._userinfo(low, spans)
            if '<input' in low:
                self._inputs(text, low, spans)
            if 'assertion' in low:
                self._assertions(low, spans)
        except _TooMany as exc:
            spans.end = exc.position
        if not spans.items and spans.end is None:
            return text
        new = spans.apply(text)
        return text if new == text else new

    def scrub_url(self, text):
        """A URL, or a text holding URLs, without credentials."""
        if not isinstance(text, str) or not text:
            return text
        low = lower_same_length(text)
        spans = _Spans()
        try:
            if '=' in low or '%3d' in low:
                self._keys(self._url_keys, text, low, spans, True)
            if '%3d' in low:
                self._keys(self._encoded_keys, text, low, spans, True)
            if '%' in low and _HAS_UNRESERVED_ESCAPE.search(low):
                self._percent_keys(text, low, spans, True)
            if '://' in low and '@' in low:
                self._userinfo(low, spans)
        except _TooMany as exc:
            spans.end = exc.position
        if not spans.items and spans.end is None:
            return text
        new = spans.apply(text)
        return text if new == text else new

    # -- the passes ------------------------------------------------------

    def _keys(self, pattern, text, low, spans, whole, start=0, end=None):
        # The value group that matched is the last group of the match.
        # A closing tag's match (</password>) took the text after it, up
        # to the next "<", as its value: that text is searched once more,
        # without the XML branch (no tag opens in it), so what it holds is
        # found and each character is still searched at most twice.
        for match in pattern.finditer(low, start,
                                      len(low) if end is None else end):
            spans.spend(match.start())
            kind = match.lastgroup
            token = redact_keys.is_token_key(match.group('key'))
            if kind == 'tobj':
                if token:
                    self._token_id(match.end(), text, low, spans, whole)
            elif kind == 'jv':
                self._json_value(match, kind, text, spans, token, whole)
            elif kind == 'qv':
                self._string(match, kind, text, spans, token, whole)
            elif kind != 'xv' or self._opens_tag(low, match):
                self._plain(match, kind, text, spans, token, whole)
            elif match.end() > match.end('xml'):
                self._keys(self._not_xml_keys, text, low, spans, whole,
                           match.end('xml'), match.end())

    def _token_id(self, start, text, low, spans, whole):
        # The "id" among the object's own keys, before any nested object.
        reach = min(len(low), start + _TOKEN_REACH)
        stop = reach
        for brace in '{}':
            found = low.find(brace, start, reach)
            if 0 <= found < stop:
                stop = found
        found = low.find('"id', start, stop)
        while found >= 0:
            match = _TOKEN_ID.match(low, found)
            if match:
                self._string(match, 'tv', text, spans, True, whole)
                return
            found = low.find('"id', found + 3, stop)

    def _percent_keys(self, text, low, spans, whole):
        position = 0
        while True:
            match = _PERCENT_KEY.search(low, position)
            if match is None:
                return
            spans.spend(match.start())
            position = match.end()
            name = urllib.parse.unquote(text[match.start('pkey'):
                                             match.end('pkey')])
            if self._is_secret_key(name) and match.group('fv'):
                self._plain(match, 'fv', text, spans,
                            redact_keys.is_token_key(name.lower()), whole)
                position = match.end('fv')

    def _escaped_keys(self, text, low, spans, whole):
        position = 0
        while True:
            match = _ESCAPED_KEY.search(low, position)
            if match is None:
                return
            spans.spend(match.start())
            position = match.end()
            raw_name = text[match.start('ukey'):match.end('ukey')]
            try:
                name = json.loads('"%s"' % raw_name)
            except ValueError:
                continue
            if self._is_secret_key(name):
                self._json_value(match, 'jv', text, spans,
                                 redact_keys.is_token_key(name.lower()),
                                 whole)
                position = match.end('jv')

    @staticmethod
    def _userinfo(low, spans):
        for match in USERINFO.finditer(low):
            spans.spend(match.start())
            spans.add(match.start(2), match.end(2), MASK)

    def _inputs(self, text, low, spans):
        for match in _HTML_INPUT.finditer(low):
            spans.spend(match.start())
            tag = match.group(0)
            name = _HTML_NAME.search(tag)
            if not name:
                continue
            original = text[match.start():match.end()]
            key = original[name.start(1):name.end(1)]
            if not self._is_secret_key(key):
                continue
            value = _HTML_VALUE.search(tag)
            if not value:
                continue
            quoted = value.group(2)
            quote = quoted[:1] if quoted[:1] in '"\'' else ''
            start = match.start() + value.start(2) + len(quote)
            end = match.start() + value.end(2) - len(quote)
            if end <= start or quoted[len(quote):].startswith(
                    (MASK, HASH_PREFIX.lower())):
                continue
            if redact_keys.is_token_key(key.lower()):
                spans.add(start, end, self._hash(text[start:end]))
            else:
                spans.add(start, end, MASK)

    @staticmethod
    def _assertions(low, spans):
        position = 0
        while True:
            start = _SAML_START.search(low, position)
            if start is None:
                return
            spans.spend(start.start())
            end = _SAML_END.search(low, start.end())
            stop = end.start() if end else len(low)
            spans.add(start.end(), stop, MASK)
            position = end.end() if end else len(low)

    # -- values ----------------------------------------------------------

    @staticmethod
    def _opens_tag(low, match):
        start = match.start('key')
        if start and low[start - 1] == '<':
            return True
        opening = low.rfind('<', max(0, start - _TAG_REACH), start)
        return opening >= 0 and low[opening + 1:opening + 2] != '/' and \
            '>' not in low[opening:start]

    def _json_value(self, match, group, text, spans, token, whole):
        value = match.group(group)
        start, end = match.start(group), match.end(group)
        if value[:1] == '[':
            closed = value.endswith(']')
            inner = text[start + 1:end - 1 if closed else end]
            if inner.strip() and inner.strip() != '"%s"' % MASK:
                spans.add(start + 1, end - 1 if closed else end,
                          '"%s"' % MASK)
            return
        if value[:1] in '"\\\'' or value[1:2] == "'":
            self._string(match, group, text, spans, token, whole)
            return
        if value != MASK:
            spans.add(start, end, '"%s"' % MASK)

    def _string(self, match, group, text, spans, token, whole):
        value = match.group(group)
        start, end = match.start(group), match.end(group)
        # Past the backslashes of an escaped string, or a u/b prefix.
        opening = len(value) - len(value.lstrip('\\ub')) + 1
        quote = value[opening - 1]
        closed = len(value) > opening and value.endswith(quote) and \
            not value.endswith('\\' + quote)
        inner_start = start + opening
        inner_end = end - 1 if closed else end
        inner = text[inner_start:inner_end]
        if not inner or inner == MASK or inner.startswith(HASH_PREFIX):
            return
        complete = closed or (whole and inner_end == len(text))
        if token and complete and not inner.endswith('\\'):
            spans.add(inner_start, inner_end, self._hash(inner))
        else:
            spans.add(inner_start, inner_end, MASK)

    def _plain(self, match, group, text, spans, token, whole):
        start, end = match.start(group), match.end(group)
        value = text[start:end]
        if not value or value == MASK or value.startswith(HASH_PREFIX):
            return
        cut = not whole and end == len(text)
        if token and not cut:
            spans.add(start, end, self._hash(value))
        else:
            spans.add(start, end, MASK)
