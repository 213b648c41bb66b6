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

"""Secrets in text bodies: hostile patterns and the shapes of issue 10."""

import hashlib
import json

import pytest

from requestshook import event
from requestshook.recording import opts
from requestshook.recording import redact
from requestshook.recording import redact_spans

# Every test on both JSON paths of requestshook.event (conftest.py).
pytestmark = pytest.mark.usefixtures('json_backend')

TOKEN = 'gAAAAABjmuecYFmRPQsVsMQG0ISfxCu8my-78UFyTsH3pvEyXoED6xdWFni'
TOKEN_HASH = '{SHA256}' + hashlib.sha256(TOKEN.encode()).hexdigest()[:16]
SECRET = 'S3cr3tV4lue'


@pytest.fixture
def redactor():
    return redact.Redactor(opts.DEFAULT_REDACT_HEADERS,
                           opts.DEFAULT_REDACT_BODY_KEYS)


def _event(body, url='http://h/identity/v3/auth/tokens'):
    return event.request_event(
        event.SERVER, event.new_id(), event.new_id(), None, 'openstack',
        'keystone', 'POST', url, [('Content-Type', 'application/json')],
        body)


def _line(redactor, raw, content_type='application/json', size=None):
    body = event.body_record(raw.encode(), size or len(raw.encode()),
                             content_type)
    return redactor.encode(_event(body)).decode('utf-8')


# -- item 1: hostile bodies, redacted, and in linear time (the time is in
# benchmarks/redaction.py) ---------------------------------------------------

@pytest.mark.parametrize('unit', [
    'x_token%3d', 'x_password=', 'psk=a&', '"password":"a",',
    '<input', '<a_password>', '"token":{"a":1,', '"\\u0061":1,',
])
def test_hostile_bodies_of_max_body_bytes_are_redacted(redactor, unit):
    raw = (unit * (65536 // len(unit) + 1))[:65536 - 40]
    raw += '\n&password=%s&token="%s"' % (SECRET, SECRET)
    line = _line(redactor, raw, size=1 << 20)
    assert SECRET not in line
    assert event.decode(line)


def test_past_the_budget_the_rest_of_a_text_is_masked(redactor):
    count = redact_spans.MAX_SECRETS + 10
    text = ''.join('password=p%d&' % index for index in range(count))
    text += 'name=' + SECRET
    result = redactor.redact_text(text)
    assert SECRET not in result
    assert result.startswith('password=***&password=***&')
    assert result.endswith(redact_spans.REST_MASKED)


def test_a_cut_json_response_is_scrubbed_as_text(redactor):
    data = {'users': [{'name': 'u%d' % index, 'password': 'pw%05d' % index}
                      for index in range(3000)]}
    raw = json.dumps(data)
    body = event.body_record(raw[:65536].encode(), len(raw),
                             'application/json')
    assert body['kind'] == event.BODY_TEXT
    line = redactor.encode(_event(body)).decode()
    assert 'pw0' not in line and 'pw2' not in line


# -- item 9: the shapes ------------------------------------------------------

@pytest.mark.parametrize('text', [
    '{"password":["%s"]}' % SECRET,
    '{"password": [["%s", 1]], "x": 1' % SECRET,
    '{"\\u0070assword": "%s"}' % SECRET,
    '{"pass\\u0077ord":"%s", "x": 1' % SECRET,
    '{"data": "{\\"password\\": \\"%s\\"}"}' % SECRET,
    'password: %s\nuser: admin\n' % SECRET,
    '[DEFAULT]\npassword = %s\n' % SECRET,
    'admin_password=%s\n' % SECRET,
    '  db_password:   "%s"  # the database\n' % SECRET,
    'a=1&%%70assword=%s&b=2' % SECRET,
    'a=1&pass%%77ord=%s' % SECRET,
    '{"secret": %s, "x": 1' % 12345,
    # Python's repr, in error messages and faults
    "{'user': {'name': 'u', 'password': '%s'}}" % SECRET,
    "{'token': '%s', 'x': 1}" % SECRET,
    "{u'password': u'%s'}" % SECRET,
    # after a closing tag of a secret key, up to the next "<"
    '<password>a</password>\npassword=%s\n' % SECRET,
    '<x_password>a</x_password> token: %s' % SECRET,
    '</password>password>password=%s' % SECRET,
])
def test_text_shapes_are_scrubbed(redactor, text):
    secret = '12345' if '12345' in text else SECRET
    result = redactor.redact_text(text)
    assert secret not in result
    assert redactor.redact_text(result) == result


@pytest.mark.parametrize('url', [
    'http://h/v3/x?%70assword=' + SECRET,
    'http://h/v3/x?a=1&pass%77ord=' + SECRET + '&b=2',
])
def test_percent_encoded_key_names_in_queries(redactor, url):
    made = event.request_event(
        event.CLIENT, event.new_id(), event.new_id(), None, 'a', 'b', 'GET',
        url, [], None)
    assert SECRET not in redactor.redact_event(made)['url']


def test_an_escaped_key_that_is_not_secret_is_kept(redactor):
    text = '{"\\u006eame": "visible", "x": 1'
    assert redactor.redact_text(text) == text


def test_token_values_in_text_hashed_when_whole(redactor):
    text = '{"token": {"expires_at": "x", "id": "%s"}, "n": 1' % TOKEN
    result = redactor.redact_text(text)
    assert TOKEN not in result and TOKEN_HASH in result


@pytest.mark.parametrize('data', [
    {'token': 1234567890123},
    {'x': {'token': {'expires_at': '2026', 'id': TOKEN}}},
    {'access': {'token': {'issued_at': 'now', 'expires': 'later',
                          'tenant': {'id': 'p'}, 'id': TOKEN}}},
    {'data': json.dumps({'password': SECRET})},
    {'data': json.dumps({'nested': json.dumps({'password': SECRET})})},
    {'config': 'password: %s\n' % SECRET},
    {'config': '[DEFAULT]\nadmin_password = %s\n' % SECRET},
])
def test_json_shapes_are_redacted_on_the_log_path(redactor, data):
    raw = json.dumps(data)
    body = event.body_record(raw.encode(), len(raw), 'application/json')
    assert body['kind'] == event.BODY_JSON
    made = _event(body)
    line = redactor.encode(made).decode()
    for secret in (TOKEN, SECRET, '1234567890123'):
        assert secret not in line
    assert event.decode(line) == json.loads(json.dumps(
        redactor.redact_event(made)))


def test_a_json_body_too_costly_to_walk_is_scrubbed_as_text(redactor):
    data = {'password': SECRET, 'items': list(range(redact.WALK_BUDGET)),
            'conf': 'token=%s' % TOKEN}
    raw = json.dumps(data)
    body = event.body_record(raw.encode(), len(raw), 'application/json')
    decoded = event.decode(redactor.encode(_event(body)))
    assert decoded['body']['kind'] == event.BODY_TEXT
    assert SECRET not in decoded['body']['data']
    assert TOKEN not in decoded['body']['data']


def test_deep_json_walk_is_bounded(redactor):
    data = value = {}
    for _ in range(event.MAX_JSON_DEPTH + 5):
        value['a'] = {}
        value = value['a']
    value['password'] = SECRET
    assert SECRET not in json.dumps(redactor.redact_json(data))


def test_console_auth_tokens_in_a_text_body_are_hashed(redactor):
    token = 'e3f1c2d4-console-token'
    text = 'GET /os-console-auth-tokens/%s HTTP/1.1\nnext line' % token
    result = redactor.redact_text(text, whole=True)
    assert token not in result
    assert redact.hash_value(token) in result
    # At the end of a cut text the token may be cut too: masked.
    cut = redactor.redact_text('see /os-console-auth-tokens/%s' % token)
    assert token[:8] not in cut and redact.MASK in cut
    assert redactor.redact_text(cut, whole=True) == cut
    assert redactor.redact_text(result) == result
