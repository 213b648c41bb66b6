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

from requestshook.recording import opts
from requestshook.recording import servicemap


@pytest.fixture
def devstack():
    return servicemap.ServiceMap(opts.DEFAULT_URL_MAP)


@pytest.mark.parametrize('url, service', [
    ('http://10.0.0.5:8080/v1/AUTH_abc/glance/x', 'swift-proxy-server'),
    ('http://10.0.0.5/identity/v3/auth/tokens', 'keystone'),
    ('http://10.0.0.5/identity', 'keystone'),
    ('https://ctl/image/v2/images?limit=5', 'glance-api'),
    ('http://10.0.0.5/compute/v2.1/servers', 'nova-api'),
    ('http://10.0.0.5/volume/v3/abc/volumes', 'cinder-api'),
    ('http://10.0.0.5/placement/resource_providers', 'placement-api'),
    ('http://10.0.0.5:9696/v2.0/networks', 'neutron-server'),
    ('http://127.0.0.1:5000/v3', 'keystone'),
    ('http://127.0.0.1:9292/v2/images', 'glance-api'),
    ('http://127.0.0.1:8774/v2.1', 'nova-api'),
    ('http://127.0.0.1:8776/v3', 'cinder-api'),
    ('http://127.0.0.1:8778/', 'placement-api'),
])
def test_devstack_defaults(devstack, url, service):
    assert devstack.lookup(url) == service


@pytest.mark.parametrize('url, name', [
    ('http://10.0.0.5/images/x', '10.0.0.5:80'),
    ('http://10.0.0.5/identityx', '10.0.0.5:80'),
    ('https://Example.ORG/', 'example.org:443'),
    ('http://[::1]:7000/x', '[::1]:7000'),
    ('http://127.0.0.1:1234', '127.0.0.1:1234'),
])
def test_unmatched_is_host_and_port(devstack, url, name):
    assert devstack.lookup(url) == name


def test_most_specific_entry_wins():
    mapping = servicemap.ServiceMap([
        '/v1=generic', ':8080=swift-proxy-server',
        'store1:8080=swift-store1', ':8080/v1/AUTH_x=account-x',
        'store1=any-port-store1'])
    assert mapping.lookup('http://other:8080/info') == 'swift-proxy-server'
    assert mapping.lookup('http://store1:8080/info') == 'swift-store1'
    assert mapping.lookup('http://store1:9999/info') == 'any-port-store1'
    assert mapping.lookup('http://store1:8080/v1/AUTH_x/c') == 'account-x'
    assert mapping.lookup('http://store1:8080/v1/AUTH_y/c') == 'generic'


def test_first_listed_wins_among_equals():
    mapping = servicemap.ServiceMap([':80=first', ':80=second'])
    assert mapping.lookup('http://h/') == 'first'


def test_host_compares_case_insensitively():
    mapping = servicemap.ServiceMap(['CTL1=keystone'])
    assert mapping.lookup('http://ctl1:5000/v3') == 'keystone'


@pytest.mark.parametrize('text, host, port, path, service', [
    (':8080=swift', None, 8080, None, 'swift'),
    ('/identity/=keystone', None, None, '/identity', 'keystone'),
    ('10.0.0.5:5000=keystone', '10.0.0.5', 5000, None, 'keystone'),
    ('ctl1/image=glance-api', 'ctl1', None, '/image', 'glance-api'),
    ('[::1]:9292=glance-api', '::1', 9292, None, 'glance-api'),
    (' :1/a/b = svc ', None, 1, '/a/b', 'svc'),
])
def test_parse_entry(text, host, port, path, service):
    entry = servicemap.parse_entry(text)
    assert (entry.host, entry.port, entry.path, entry.service) == (
        host, port, path, service)


@pytest.mark.parametrize('text', [
    'keystone', '=keystone', ':5000=', ':abc=x', ':0=x', ':70000=x',
    '[::1=x', '[::1]x=y'])
def test_parse_entry_rejects(text):
    with pytest.raises(ValueError):
        servicemap.parse_entry(text)
