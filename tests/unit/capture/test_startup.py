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

import json
import os
import subprocess
import sys

import pytest

from requestshook.capture import startup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
PTH = os.path.join(ROOT, 'requestshook.pth')

# Runs the .pth line as site.py does, then reports what got imported and
# what the hook was told.
PROBE = """
import json, sys
exec(open(%r).read())
before = sorted(m for m in sys.modules
                if m.split('.')[0] in ('requestshook', 'wrapt', 'oslo_config'))
report = {'before_requests': before}
import requests
if 'requestshook.capture.outbound' in sys.modules:
    from requestshook.capture import outbound
    s = outbound._settings
    report['service_name'] = s.service_name
    report['log_file'] = s.recorder.settings.log_file
    report['patched'] = type(
        requests.adapters.HTTPAdapter.__dict__['send']).__name__
print(json.dumps(report))
"""


def _probe(**env):
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith('REQUESTSHOOK_')}
    environ.update(env)
    output = subprocess.check_output(
        [sys.executable, '-c', PROBE % PTH], env=environ)
    return json.loads(output.decode('utf-8').strip().splitlines()[-1])


@pytest.mark.parametrize('value, wanted, name', [
    ('', False, None), ('0', False, None), ('off', False, None),
    ('1', True, None), ('true', True, None),
    ('nova-compute', True, 'nova-compute'),
])
def test_enable_variable(value, wanted, name):
    environ = {startup.ENABLE_ENV: value}
    assert startup.wanted(environ) is wanted
    assert startup.service_name(environ) == name


def test_log_file_variable_overrides_log_file():
    assert startup.overrides({}) == {}
    assert startup.overrides({startup.LOG_FILE_ENV: '/tmp/x.log'}) == {
        'log_file': '/tmp/x.log'}


def test_install_refuses_when_not_wanted():
    assert startup.install({startup.ENABLE_ENV: 'no'}) is False


def test_pth_does_nothing_without_the_variable():
    report = _probe()
    assert report == {'before_requests': []}


def test_pth_hooks_requests_when_enabled(tmp_path):
    log = str(tmp_path / 'hook.log')
    report = _probe(REQUESTSHOOK_ENABLE='openstack',
                    REQUESTSHOOK_LOG_FILE=log,
                    REQUESTSHOOK_CONFIG=str(tmp_path / 'absent.conf'))
    # Before requests is imported only the hook's trigger is loaded.
    assert 'requestshook.capture.outbound' not in report['before_requests']
    assert 'oslo_config' not in report['before_requests']
    assert 'requestshook.capture.startup' in report['before_requests']
    assert report['service_name'] == 'openstack'
    assert report['log_file'] == log
    assert report['patched'] == 'FunctionWrapper'


def test_pth_enabled_with_1_names_after_the_process(tmp_path):
    report = _probe(REQUESTSHOOK_ENABLE='1',
                    REQUESTSHOOK_CONFIG=str(tmp_path / 'absent.conf'))
    assert report['service_name'] is None
    assert report['patched'] == 'FunctionWrapper'
