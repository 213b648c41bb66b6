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
                                  'localhost'])
def test_loopback_needs_no_token(host):
    policy = access.Access.for_bind(host, 8765)
    assert policy.token is None and not policy.generated


@pytest.mark.parametrize('host', ['0.0.0.0', '::', '10.0.0.11', 'ctl1'])
def test_any_other_address_gets_a_token(host):
    policy = access.Access.for_bind(host, 8765)
    assert policy.generated and len(policy.token) >= 32
    assert policy.token != access.Access.for_bind(host, 8765).token
    assert '?token=' + policy.token in policy.url()
    given = access.Access.for_bind(host, 8765, token='s3cret')
    assert given.token == 's3cret' and not given.generated


def test_token_given_on_loopback_is_required_too():
    policy = access.Access.for_bind('127.0.0.1', 8765, token='s3cret')
    assert policy.check({'Host': '127.0.0.1:8765'}, '') == (False, False)
    assert policy.check({}, 'token=s3cret') == (True, True)
    assert policy.check({'Cookie': 'requestshook_token=s3cret'}, '') == \
        (True, False)
    assert policy.check({'Authorization': 'Bearer s3cret'}, '') == \
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
