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


"""The patterns that find secret values in text.

The values of secret keys, in every shape they take in OpenStack
traffic:

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

The tables :class:`~requestshook.recording.redact_text.TextScrubber`
builds its searches from (``KEYS`` replaced by the key names) and the
patterns of its other passes; all are matched against the lowered text.
"""

import re

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
