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

import copy
import hashlib
import json

import pytest

from requestshook import event
from requestshook import opts
from requestshook import redact

TOKEN = 'gAAAAABjmuecYFmRPQsVsMQG0ISfxCu8my-78UFyTsH3pvEyXoED6xdWFni'
TOKEN_HASH = '{SHA256}' + hashlib.sha256(TOKEN.encode()).hexdigest()[:16]

PASSWORD_AUTH = {'auth': {'identity': {
    'methods': ['password'],
    'password': {'user': {'name': 'admin', 'domain': {'name': 'Default'},
                          'password': 'asdf'}}},
    'scope': {'project': {'name': 'admin'}}}}

TOKEN_AUTH = {'auth': {'identity': {'methods': ['token'],
                                    'token': {'id': TOKEN}}}}


@pytest.fixture
def redactor():
    return redact.Redactor(opts.DEFAULT_REDACT_HEADERS,
                           opts.DEFAULT_REDACT_BODY_KEYS)


def _event(headers=(), body=None, request_body=None):
    made = event.response_event(
        event.CLIENT, event.new_id(), event.new_id(), None, 'openstack',
        'keystone', 'POST', 'http://h/identity/v3/auth/tokens', 201,
        'Created', headers, body, 12.5, request_body=request_body)
    return made


def _json_body(data):
    return event.body_record(json.dumps(data).encode(), len(json.dumps(data)),
                             'application/json')


def test_hash_value_is_keystoneauth_style_and_idempotent():
    assert redact.hash_value(TOKEN) == TOKEN_HASH
    assert len(TOKEN_HASH) == len('{SHA256}') + 16
    assert redact.hash_value(TOKEN_HASH) == TOKEN_HASH
    assert redact.hash_value(TOKEN.encode()) == TOKEN_HASH


def test_secret_headers_hashed_any_case(redactor):
    headers = [['x-subject-token', TOKEN], ['X-AUTH-TOKEN', TOKEN],
               ['Authorization', 'Basic YWRtaW46YXNkZg=='],
               ['Content-Type', 'application/json']]
    result = redactor.redact_headers(headers)
    assert result[0] == ['x-subject-token', TOKEN_HASH]
    assert result[1] == ['X-AUTH-TOKEN', TOKEN_HASH]
    assert result[2][1].startswith('{SHA256}')
    assert result[3] == ['Content-Type', 'application/json']
    assert headers[0][1] == TOKEN, 'the caller\'s list must not change'


def test_issued_and_used_tokens_correlate(redactor):
    issued = redactor.redact_headers([('X-Subject-Token', TOKEN)])
    used = redactor.redact_headers([('X-Auth-Token', TOKEN)])
    assert issued[0][1] == used[0][1]


def test_headers_without_secrets_are_the_same_object(redactor):
    headers = [['Accept', '*/*']]
    assert redactor.redact_headers(headers) is headers


def test_password_masked_user_kept(redactor):
    result = redactor.redact_json(PASSWORD_AUTH)
    user = result['auth']['identity']['password']['user']
    assert user['password'] == '***'
    assert user['name'] == 'admin'
    assert result['auth']['identity']['methods'] == ['password']
    assert result['auth']['scope'] == PASSWORD_AUTH['auth']['scope']
    assert PASSWORD_AUTH['auth']['identity']['password']['user'][
        'password'] == 'asdf'


def test_keys_match_any_case_any_depth(redactor):
    data = {'server': {'adminPass': 'p1', 'ADMINPASS': 'p2'},
            'items': [{'Secret': 's'}, {'ok': 'v', 'new_password': 'n'}],
            'password_expires_at': '2026-01-01', 'secret': None,
            'change': {'original_password': 'o', 'password': 7}}
    result = redactor.redact_json(data)
    assert result['server'] == {'adminPass': '***', 'ADMINPASS': '***'}
    assert result['items'] == [{'Secret': '***'},
                               {'ok': 'v', 'new_password': '***'}]
    assert result['password_expires_at'] == '2026-01-01'
    assert result['secret'] is None
    assert result['change'] == {'original_password': '***',
                                'password': '***'}


def test_keystone_token_method_id_hashed(redactor):
    result = redactor.redact_json(TOKEN_AUTH)
    assert result['auth']['identity']['token']['id'] == TOKEN_HASH
    assert TOKEN_AUTH['auth']['identity']['token']['id'] == TOKEN


def test_token_id_elsewhere_is_kept(redactor):
    data = {'token': {'id': 'not-a-secret'}, 'image': {'id': 'abc'}}
    assert redactor.redact_json(data) is data


def test_clean_json_is_the_same_object(redactor):
    data = {'images': [{'id': 'x', 'name': 'cirros'}], 'next': None}
    assert redactor.redact_json(data) is data


@pytest.mark.parametrize('text, secret', [
    ('{"auth": {"identity": {"password": {"user": {"password": "asdf', 'asdf'),
    ('{"user": {"password" : "as\\"df"}, "x": 1}', 'as\\"df'),
    ('{"server": {"adminPass": "Zz9", ', 'Zz9'),
    ('user=admin&password=hunter2&next=1', 'hunter2'),
    ('password=hunter2', 'hunter2'),
    ('<auth><Password>hunter2</Password></auth>', 'hunter2'),
    ('{"auth": {"identity": {"methods": ["token"], "token": {"id": "%s'
     % TOKEN, TOKEN),
])
def test_text_bodies_scrubbed(redactor, text, secret):
    result = redactor.redact_text(text)
    assert secret not in result
    assert '***' in result


def test_text_without_secrets_unchanged(redactor):
    text = 'password_expires_at=never&name=x'
    assert redactor.redact_text(text) == text


def test_redact_event_copies_and_masks_everything(redactor):
    body = _json_body({'token': {'user': {'name': 'admin'}}})
    request_body = _json_body(TOKEN_AUTH)
    original = _event([('X-Subject-Token', TOKEN)], body, request_body)
    before = copy.deepcopy(original)
    result = redactor.redact_event(original)
    assert original == before
    assert result['headers'] == [['X-Subject-Token', TOKEN_HASH]]
    assert result['body'] is original['body']
    assert result['request_body']['data']['auth']['identity']['token'][
        'id'] == TOKEN_HASH
    assert TOKEN not in json.dumps(result)


def test_redact_event_text_body(redactor):
    body = event.body_record(
        b'{"auth": {"identity": {"password": {"user": {"password": "x1y2"',
        100, 'application/json')
    assert body['kind'] == event.BODY_TEXT
    result = redactor.redact_event(_event(body=body))
    assert 'x1y2' not in json.dumps(result)


def test_redact_event_leaves_binary_and_empty_bodies(redactor):
    original = _event(body=event.body_record(b'\xff\xfe\x00', 3,
                                             'application/octet-stream'),
                      request_body=event.body_record(b'', 0))
    assert redactor.redact_event(original) is original


def test_redaction_is_idempotent(redactor):
    once = redactor.redact_event(_event([('X-Auth-Token', TOKEN)],
                                        _json_body(PASSWORD_AUTH),
                                        _json_body(TOKEN_AUTH)))
    assert redactor.redact_event(once) is once


def test_configurable_lists():
    custom = redact.Redactor(['X-Custom'], ['pin'])
    result = custom.redact_event(_event([('X-Auth-Token', 'keep'),
                                         ('x-custom', 'hide')],
                                        _json_body({'pin': 1234,
                                                    'password': 'keep'})))
    assert result['headers'][0] == ['X-Auth-Token', 'keep']
    assert result['headers'][1][1].startswith('{SHA256}')
    assert result['body']['data'] == {'pin': '***', 'password': 'keep'}


def test_empty_lists_still_hash_token_method():
    bare = redact.Redactor([], [])
    result = bare.redact_json(TOKEN_AUTH)
    assert result['auth']['identity']['token']['id'] == TOKEN_HASH


def test_text_scrub_handles_many_keys_and_overlaps(redactor):
    text = ('{"secret": "password=abc", "users": [%s], "password": "p2"'
            % ', '.join('{"password_expires_at": null}' for _ in range(50)))
    result = redactor.redact_text(text)
    assert 'abc' not in result and 'p2' not in result
    assert result.count('password_expires_at') == 50
    assert result.startswith('{"secret": "***", "users": [')


def test_text_scrub_with_characters_that_grow_when_lowered(redactor):
    dotted = '\u0130'    # lowers to two characters
    assert len(dotted.lower()) == 2
    text = '{"name": "%sstanbul", "Password": "p%sw", "x": 1' % (
        dotted, dotted)
    result = redactor.redact_text(text)
    assert 'p%sw' % dotted not in result
    assert '"Password": "***"' in result
    assert result.startswith('{"name": "%sstanbul"' % dotted)


@pytest.mark.parametrize('body', [
    PASSWORD_AUTH, TOKEN_AUTH, {'images': [{'id': 'x', 'name': 'n'}]},
    {'token': {'methods': ['password'], 'password_expires_at': None}},
    {'User': {'PASSWORD': 'x', 'nested': [{'Secret': 's'}]}},
])
def test_encode_fast_path_matches_full_redaction(redactor, body):
    made = _event([('X-Auth-Token', TOKEN), ('Accept', '*/*')],
                  _json_body(body), _json_body(TOKEN_AUTH))
    line = redactor.encode(made)
    assert line.endswith(b'\n') and line.count(b'\n') == 1
    assert event.decode(line) == json.loads(json.dumps(
        redactor.redact_event(made)))
    assert TOKEN.encode() not in line


def test_encode_skips_the_walk_without_markers(redactor, monkeypatch):
    walked = []
    monkeypatch.setattr(redactor, '_walk',
                        lambda value: walked.append(value) or value)
    redactor.encode(_event(body=_json_body({'images': [{'id': 'x'}]})))
    assert walked == []
    redactor.encode(_event(body=_json_body(PASSWORD_AUTH)))
    assert len(walked) == 1


def test_keys_match_as_underscore_suffix(redactor):
    data = {'connection_info': {'data': {
        'auth_password': 'chap1', 'discovery_auth_password': 'chap2',
        'auth_username': 'u', 'password_expires_at': None}},
        'driver_info': {'IPMI_Password': 'ipmi'}, 'client_secret': 'c',
        'passwords': 'kept: not a suffix match'}
    result = redactor.redact_json(data)
    assert result['connection_info']['data'] == {
        'auth_password': '***', 'discovery_auth_password': '***',
        'auth_username': 'u', 'password_expires_at': None}
    assert result['driver_info'] == {'IPMI_Password': '***'}
    assert result['client_secret'] == '***'
    assert result['passwords'] == data['passwords']


def test_scalars_in_a_list_under_a_secret_key_masked(redactor):
    data = {'secret': ['a', ['b', {'name': 'n', 'password': 'p'}], 3, None]}
    assert redactor.redact_json(data) == {
        'secret': ['***', ['***', {'name': 'n', 'password': '***'}], '***',
                   None]}


@pytest.mark.parametrize('text, secret', [
    ('{"data": {"auth_password": "chap1"', 'chap1'),
    ('username=u&auth_password=chap2', 'chap2'),
    ('<IPMI_Password>ipmi3</IPMI_Password>', 'ipmi3'),
])
def test_text_suffix_keys_scrubbed(redactor, text, secret):
    assert secret not in redactor.redact_text(text)


def test_text_closing_tag_does_not_mask_what_follows(redactor):
    text = '<x><auth_password>p</auth_password>visible<y/></x>'
    assert redactor.redact_text(text) == \
        '<x><auth_password>***</auth_password>visible<y/></x>'


def test_encode_finds_suffix_keys(redactor):
    line = redactor.encode(_event(body=_json_body(
        {'connection_info': {'auth_password': 'chap1'}})))
    assert b'chap1' not in line
