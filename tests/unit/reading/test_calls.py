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

from requestshook.reading import calls


@pytest.mark.parametrize('path', ['/', '/identity', '/identity/v3',
                                  '/v3/', '/image/v2/', '/v2.1'])
def test_discovery(path):
    assert calls.is_discovery('GET', path)


@pytest.mark.parametrize('method,path', [
    ('GET', '/v2/images'), ('POST', '/identity'),
    ('GET', '/identity/v3/auth/tokens'), ('GET', '/image/v2/images/x')])
def test_not_discovery(method, path):
    assert not calls.is_discovery(method, path)


def test_token_request():
    assert calls.is_token_request('POST', '/identity/v3/auth/tokens')
    assert calls.is_token_request('POST', '/v3/auth/tokens?nocatalog')
    assert not calls.is_token_request('GET', '/v3/auth/tokens')


def test_preliminary():
    assert calls.is_preliminary('keystone', 'GET', '/v3/projects')
    assert calls.is_preliminary('glance-api', 'GET', '/image')
    assert not calls.is_preliminary('glance-api', 'POST', '/v2/images')
