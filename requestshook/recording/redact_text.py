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
take in OpenStack traffic (JSON, also cut short or inside a JSON string;
form data and queries, also percent-encoded; INI and YAML; XML, HTML
``<input>`` and SAML assertions; ``scheme://user:password@``): the
patterns, and the list of shapes, are in
:mod:`requestshook.recording.redact_patterns`.

Time is linear in the text: every pattern either starts at a literal or
at a key boundary, and a value is consumed by the match that masks it,
so no part of the text is scanned again and again.  Python works once per
secret found; past :data:`~requestshook.recording.redact_spans.MAX_SECRETS`
in one text the rest of the text is masked as a whole, so a hostile body
costs at most that much.  The masks and the replacing are in
:mod:`requestshook.recording.redact_spans`.
"""

import json
import re
import urllib.parse

from requestshook.recording import redact_keys
from requestshook.recording import redact_patterns
from requestshook.recording import redact_spans

MASK = redact_spans.MASK
HASH_PREFIX = redact_spans.HASH_PREFIX
_TooMany = redact_spans._TooMany
_Spans = redact_spans._Spans
_TAG_REACH = redact_patterns._TAG_REACH
_KEY_BOUNDARY = redact_patterns._KEY_BOUNDARY
_TEXT_KEYS = redact_patterns._TEXT_KEYS
_NOT_XML_KEYS = redact_patterns._NOT_XML_KEYS
_URL_KEYS = redact_patterns._URL_KEYS
_ENCODED_KEYS = redact_patterns._ENCODED_KEYS
_TOKEN_REACH = redact_patterns._TOKEN_REACH
_TOKEN_ID = redact_patterns._TOKEN_ID
_HAS_UNRESERVED_ESCAPE = redact_patterns._HAS_UNRESERVED_ESCAPE
_PERCENT_KEY = redact_patterns._PERCENT_KEY
_ESCAPED_KEY = redact_patterns._ESCAPED_KEY
USERINFO = redact_patterns.USERINFO
_HTML_INPUT = redact_patterns._HTML_INPUT
_HTML_NAME = redact_patterns._HTML_NAME
_HTML_VALUE = redact_patterns._HTML_VALUE
_SAML_START = redact_patterns._SAML_START
_SAML_END = redact_patterns._SAML_END


def lower_same_length(text):
    """``text.lower()`` with the offsets of ``text``.

    U+0130 is the one character that lowers to two.
    """
    low = text.lower()
    if len(low) != len(text):
        low = text.replace('\u0130', 'i').lower()
    return low


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
