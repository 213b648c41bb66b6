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


import types

import pytest

from requestshook.capture import identity


@pytest.mark.parametrize('agent, caller', [
    ('openstacksdk/0.103.0 keystoneauth1/5.1.0 python-requests/2.28.1 '
     'CPython/3.11.0', 'openstacksdk'),
    ('python-keystoneclient', 'python-keystoneclient'),
    ('python-glanceclient/4.1.0 keystoneauth1/5.1.0', 'python-glanceclient'),
    ('glance/26.0.0 keystonemiddleware.auth_token/10.2.0 '
     'keystoneauth1/5.1.0 python-requests/2.28.1 CPython/3.10.6',
     'keystonemiddleware.auth_token'),
    ('keystonemiddleware.auth_token/10.2.0 keystoneauth1/5.1.0',
     'keystonemiddleware.auth_token'),
    ('nova/34.0.0 keystonemiddleware.audit/13.0.1',
     'keystonemiddleware.audit'),
    ('proxy-server 4242', 'swift-proxy-server'),
    ('curl/8.5.0', 'curl'),
    ('Mozilla/5.0 (X11; Linux x86_64)', 'Mozilla'),
])
def test_caller_from_user_agent(agent, caller):
    assert identity.caller_from_user_agent(agent) == caller


@pytest.mark.parametrize('agent', [
    None, '', '   ', 42, b'\xff\xfe', 'é' * 5, '/1.0', 'x' * 100000,
    '\x00\x01', '(comment only)',
])
def test_odd_user_agents_never_raise(agent):
    caller = identity.caller_from_user_agent(agent)
    assert caller is None or (
        isinstance(caller, str) and 0 < len(caller) <= identity.MAX_NAME
        and caller.isascii())


def test_huge_user_agent_is_cut():
    assert identity.caller_from_user_agent('a' * 5000) == 'a' * 64


def test_clean_name():
    assert identity.clean_name(' glance-api\n') == 'glance-api'
    assert identity.clean_name('') is None
    assert identity.clean_name(None) is None
    assert identity.clean_name(b'nova') == 'nova'


@pytest.mark.parametrize('argv, name', [
    (['/usr/local/bin/glance-api', '--config-file', 'x'], 'glance-api'),
    (['/venv/bin/openstack', 'image', 'list'], 'openstack'),
    (['/usr/bin/nova-compute'], 'nova-compute'),
    (['/src/pkg/__main__.py', 'serve'], 'pkg'),
    (['/src/tools/run.py'], 'run'),
    (['-c'], 'python'),
    ([''], 'python'),
    ([], 'python'),
    (['/usr/local/bin/glance-wsgi-api'], 'glance-api'),
])
def test_service_name_from_argv(argv, name):
    assert identity.service_name(argv=argv, modules={}) == name


@pytest.mark.parametrize('argv, name', [
    (['/venv/bin/gunicorn', '-b', '127.0.0.1:1', '--name', 'svc-a',
      'app:application'], 'svc-a'),
    (['/venv/bin/gunicorn', '-n', 'svc-b', 'x:y'], 'svc-b'),
    (['/venv/bin/gunicorn', '--name=svc-c', 'x:y'], 'svc-c'),
    (['/venv/bin/gunicorn', '-b', '127.0.0.1:1', '--paste',
      '/etc/glance/glance-api-paste.ini'], 'glance-api'),
    (['/venv/bin/gunicorn', '-w', '2', 'glance.wsgi.api:application'],
     'glance-api'),
    (['/venv/bin/gunicorn'], 'gunicorn'),
])
def test_service_name_under_gunicorn(argv, name):
    modules = {'gunicorn': types.ModuleType('gunicorn')}
    assert identity.service_name(argv=argv, modules=modules) == name


@pytest.mark.parametrize('opt, name', [
    ({b'procname': b'glance-api'}, 'glance-api'),
    ({'procname-prefix-spaced': 'keystone '}, 'keystone'),
    ({b'wsgi-file': b'/usr/local/bin/keystone-wsgi-public'}, 'keystone'),
    ({b'module': b'nova.wsgi.osapi_compute:application'}, 'nova-api'),
    ({b'module': [b'placement.wsgi.api:application']}, 'placement-api'),
    ({b'paste': b'config:/etc/glance/glance-api-paste.ini'}, 'glance-api'),
])
def test_service_name_under_uwsgi(opt, name):
    uwsgi = types.ModuleType('uwsgi')
    uwsgi.opt = opt
    assert identity.service_name(argv=['/usr/bin/uwsgi'],
                                 modules={'uwsgi': uwsgi}) == name


def test_service_name_under_uwsgi_without_options_uses_argv():
    uwsgi = types.ModuleType('uwsgi')
    assert identity.service_name(argv=['/usr/bin/uwsgi'],
                                 modules={'uwsgi': uwsgi}) == 'uwsgi'


def test_service_name_of_this_process_is_a_name():
    name = identity.service_name()
    assert name and name == identity.clean_name(name)
