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

"""Properties of redaction (issue 10): a secret placed at a random depth,
case, shape and cut point never appears in the log, and every line is
strict JSON.

The tests are named ``test_fuzz_*``: ``tox -e fuzz`` runs them (and the
other fuzz tests) with many more examples, the profile chosen by
``REQUESTSHOOK_FUZZ_PROFILE`` (tests/unit/conftest.py).
"""

import json
import urllib.parse

import hypothesis
from hypothesis import strategies as st

from requestshook import event
from requestshook.recording import opts
from requestshook.recording import redact

REDACTOR = redact.Redactor()

# An uppercase "Z" never shows in ids, hashes or timestamps of a line.
SECRETS = st.text(alphabet='abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXY'
                  '23456789', min_size=8, max_size=24).map(
    lambda text: 'Z' + text)
KEYS = st.sampled_from(sorted(set(opts.DEFAULT_REDACT_BODY_KEYS)))
HEADERS = st.sampled_from(opts.DEFAULT_REDACT_HEADERS)


def _strict(line):
    def refuse(token):
        raise ValueError('not RFC 8259: %s' % token)
    return json.loads(line, parse_constant=refuse)


@st.composite
def _cased(draw, name):
    flips = draw(st.lists(st.booleans(), min_size=len(name),
                          max_size=len(name)))
    return ''.join(char.upper() if flip else char
                   for char, flip in zip(name, flips))


@st.composite
def secret_keys(draw):
    key = draw(_cased(draw(KEYS)))
    if draw(st.booleans()):
        key = draw(st.sampled_from(['x_', 'ipmi_', 'OS_'])) + key
    return key


def _percent_key(key, position):
    position %= len(key)
    return key[:position] + '%%%02X' % ord(key[position]) + \
        key[position + 1:]


def _escaped_key(key, position):
    position %= len(key)
    return key[:position] + '\\u%04x' % ord(key[position]) + \
        key[position + 1:]


def _nested(value, path):
    for step in reversed(path):
        value = [value] if step is None else {step: value}
    return value


@st.composite
def documents(draw):
    """``(raw text, content type)`` holding one secret."""
    key = draw(secret_keys())
    secret = draw(SECRETS)
    path = draw(st.lists(st.one_of(st.none(), st.sampled_from(
        ['a', 'data', 'items', 'user', 'config'])), max_size=12))
    shape = draw(st.sampled_from([
        'json', 'json-list', 'json-number', 'json-in-string', 'form',
        'query-in-json', 'encoded-query', 'yaml', 'ini', 'xml',
        'percent-key', 'escaped-key', 'quoted-ini', 'python-repr']))
    position = draw(st.integers(min_value=0, max_value=40))
    around = draw(st.sampled_from(['', 'name=x&', 'id: 1\n', '<r>']))
    if shape == 'json':
        return json.dumps(_nested({key: secret, 'n': 1}, path)), \
            'application/json', secret
    if shape == 'json-list':
        return json.dumps(_nested({key: [secret, 'b']}, path)), \
            'application/json', secret
    if shape == 'json-number':
        number = str(draw(st.integers(min_value=10 ** 8,
                                      max_value=10 ** 12)))
        return json.dumps(_nested({key: int(number)}, path)), \
            'application/json', number
    if shape == 'python-repr':
        return repr(_nested({key: secret, 'n': 1}, path)), 'text/plain', \
            secret
    if shape == 'json-in-string':
        inner = json.dumps({key: secret})
        return json.dumps(_nested({'blob_of': inner}, path)), \
            'application/json', secret
    if shape == 'query-in-json':
        url = 'http://h/x?a=1&%s=%s&b=2' % (key, secret)
        return json.dumps(_nested({'href': url}, path)), \
            'application/json', secret
    if shape == 'encoded-query':
        inner = urllib.parse.quote('?%s=%s' % (key, secret), safe='')
        return around + 'path=%s&x=1' % inner, 'text/plain', secret
    if shape == 'form':
        return around + '%s=%s&next=1' % (key, secret), \
            'application/x-www-form-urlencoded', secret
    if shape == 'yaml':
        return around + 'x:\n  %s: %s\n' % (key, secret), 'text/plain', \
            secret
    if shape == 'ini':
        return around + '[DEFAULT]\n%s = %s\n' % (key, secret), \
            'text/plain', secret
    if shape == 'quoted-ini':
        return around + '%s="%s"\n' % (key, secret), 'text/plain', secret
    if shape == 'xml':
        return around + '<%s>%s</%s>' % (key, secret, key), 'text/xml', \
            secret
    if shape == 'percent-key':
        return around + '%s=%s&b=2' % (_percent_key(key, position),
                                       secret), \
            'application/x-www-form-urlencoded', secret
    assert shape == 'escaped-key'
    return '{"a": 1, "%s": "%s", "b": 2}' % (_escaped_key(key, position),
                                             secret), \
        'application/json', secret


def _line(raw, content_type, cut):
    data = raw.encode('utf-8')
    head = data[:cut] if cut is not None else data
    body = event.body_record(head, len(data), content_type)
    made = event.request_event(
        event.SERVER, event.new_id(), event.new_id(), None, 'openstack',
        'keystone', 'POST', 'http://h/identity/v3/auth/tokens',
        [('Content-Type', content_type)], body)
    return REDACTOR.encode(made).decode('utf-8')


@hypothesis.given(documents(), st.one_of(st.none(),
                                         st.integers(min_value=1)))
def test_fuzz_a_secret_never_reaches_the_log(document, cut):
    raw, content_type, secret = document
    if cut is not None:
        cut %= len(raw.encode('utf-8')) + 1
    line = _line(raw, content_type, cut)
    _strict(line)
    kept = raw.encode('utf-8')[:cut].decode('utf-8', 'ignore') \
        if cut is not None else raw
    shown = secret
    if secret not in kept:
        # A secret cut by the end of the head: what is left of it.
        start = raw.find(secret)
        shown = kept[start:] if 0 <= start < len(kept) else ''
    if len(shown) >= 4:
        assert shown not in line, (raw, cut)


@hypothesis.given(HEADERS.flatmap(_cased), SECRETS)
def test_fuzz_secret_headers_never_reach_the_log(name, secret):
    made = event.request_event(
        event.CLIENT, event.new_id(), event.new_id(), None, 'a', 'b', 'GET',
        'http://h/', [(name, secret), ('Accept', '*/*')], None)
    line = REDACTOR.encode(made).decode('utf-8')
    _strict(line)
    assert secret not in line


@hypothesis.given(secret_keys(), SECRETS, st.integers(min_value=0,
                                                      max_value=40))
def test_fuzz_secret_query_parameters_never_reach_the_log(key, secret,
                                                          position):
    for name in (key, _percent_key(key, position)):
        url = 'http://h/v1/x?a=1&%s=%s#f' % (name, secret)
        made = event.request_event(
            event.CLIENT, event.new_id(), event.new_id(), None, 'a', 'b',
            'GET', url, [], None)
        assert secret not in REDACTOR.encode(made).decode('utf-8')


@hypothesis.given(secret_keys(), SECRETS, st.sampled_from([
    'Location', 'content-location', 'Referer', 'Link']))
def test_fuzz_credentials_in_url_headers_never_reach_the_log(key, secret,
                                                             header):
    for value in ('http://h/v1/o?x=1&%s=%s' % (key, secret),
                  'https://user:%s@h:5000/v3' % secret):
        made = event.request_event(
            event.CLIENT, event.new_id(), event.new_id(), None, 'a', 'b',
            'GET', 'http://h/', [(header, value)], None)
        assert secret not in REDACTOR.encode(made).decode('utf-8')


@hypothesis.given(documents())
def test_fuzz_a_secret_in_an_error_message_never_reaches_the_log(document):
    raw, _, secret = document
    made = event.error_event(
        event.CLIENT, event.new_id(), event.new_id(), None, 'a', 'b', 'POST',
        'http://h/', 'HTTPError: 400 Bad Request: %s' % raw, 3.0)
    assert secret not in REDACTOR.encode(made).decode('utf-8')


@hypothesis.given(st.recursive(
    st.none() | st.booleans() | st.integers() |
    st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) |
    st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=40))
def test_fuzz_every_line_is_strict_json(data):
    raw = json.dumps(data).encode('utf-8')
    body = event.body_record(raw, len(raw), 'application/json')
    made = event.request_event(
        event.CLIENT, event.new_id(), event.new_id(), None, 'a', 'b', 'POST',
        'http://h/', [], body)
    _strict(REDACTOR.encode(made).decode('utf-8'))
