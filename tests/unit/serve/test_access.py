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

import pytest

from requestshook.serve import access


@pytest.mark.parametrize('value,expected', [
    ('', ('127.0.0.1', 8765)),
    ('127.0.0.1:9000', ('127.0.0.1', 9000)),
    (':9000', ('127.0.0.1', 9000)),
    ('0.0.0.0', ('0.0.0.0', 8765)),
    ('[::1]:9000', ('::1', 9000)),
    ('[::]', ('::', 8765)),
    ('ctl1:0', ('ctl1', 0)),
])
def test_parse_bind(value, expected):
    assert access.parse_bind(value) == expected


@pytest.mark.parametrize('value', ['1.2.3.4:http', 'h:99999', '[::1]x'])
def test_parse_bind_refuses(value):
    with pytest.raises(access.BindError):
        access.parse_bind(value)


@pytest.mark.parametrize('host', ['127.0.0.1', '127.1.2.3', '::1',
                                  'localhost', '0.0.0.0', '::',
                                  '10.0.0.11', 'ctl1'])
def test_every_address_gets_a_token_loopback_too(host):
    policy = access.Access.for_bind(host, 8765)
    assert policy.generated and len(policy.token) >= 32
    assert policy.token != access.Access.for_bind(host, 8765).token
    assert '?token=' + policy.token in policy.url()
    assert policy.check({'Host': '127.0.0.1:8765'}, '') == (False, False)
    given = access.Access.for_bind(host, 8765, token='s3cret-of-16-chars')
    assert given.token == 's3cret-of-16-chars' and not given.generated


def test_a_short_token_is_refused():
    with pytest.raises(access.AccessError) as raised:
        access.Access.for_bind('127.0.0.1', 8765, token='s3cret')
    assert '16 characters' in str(raised.value)
    assert access.Access.for_bind('127.0.0.1', 8765, token='x' * 16).token


@pytest.mark.parametrize('host', ['127.0.0.1', '127.1.2.3', '::1',
                                  'localhost'])
def test_no_token_is_allowed_on_loopback_only_when_asked(host):
    policy = access.Access.for_bind(host, 8765, no_token=True)
    assert policy.token is None and not policy.generated
    assert policy.url().endswith(':8765/')


@pytest.mark.parametrize('host', ['0.0.0.0', '::', '10.0.0.11', 'ctl1'])
def test_no_token_is_refused_off_loopback(host):
    with pytest.raises(access.AccessError) as raised:
        access.Access.for_bind(host, 8765, no_token=True)
    assert 'loopback' in str(raised.value)


def test_no_token_and_a_token_are_exclusive():
    with pytest.raises(access.AccessError):
        access.Access.for_bind('127.0.0.1', 8765, token='x' * 16,
                               no_token=True)


def test_token_given_on_loopback_is_required_too():
    token = 's3cret-of-16-chars'
    policy = access.Access.for_bind('127.0.0.1', 8765, token=token)
    assert policy.check({'Host': '127.0.0.1:8765'}, '') == (False, False)
    assert policy.check({}, 'token=' + token) == (True, True)
    assert policy.check({'Cookie': 'requestshook_token=' + token}, '') == \
        (True, False)
    assert policy.check({'Authorization': 'Bearer ' + token}, '') == \
        (True, False)
    assert policy.check({'Authorization': 'Bearer nope'}, '') == \
        (False, False)


def test_without_token_host_must_be_loopback():
    policy = access.Access('127.0.0.1', 8765)
    for host in ('127.0.0.1:8765', 'localhost:8765', '[::1]:8765',
                 'LOCALHOST'):
        assert policy.check({'Host': host}, '')[0], host
    for host in ('evil.example:8765', 'evil.example', '', None):
        assert not policy.check({'Host': host} if host is not None
                                else {}, '')[0], host
