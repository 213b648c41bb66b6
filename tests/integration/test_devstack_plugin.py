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

"""devstack/plugin.sh run phase by phase under bash, devstack's helpers
stubbed (tests/integration/devstack/stubs.sh), against a temporary /etc
holding the real paste files of glance, nova, cinder, neutron and swift."""

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from tests.unit import paste_fixtures
from tests.unit.paste_fixtures import real_paste_files  # noqa: F401
from tests.unit import paste_stubs
from tests.unit.tools import test_pastefile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
STUBS = os.path.join(ROOT, 'tests', 'integration', 'devstack', 'stubs.sh')

KEYSTONE_UWSGI = """\
[uwsgi]
wsgi-file = /usr/local/bin/keystone-wsgi-public
processes = 2
master = true
socket = /var/run/uwsgi/keystone-wsgi-public.socket
"""
PLACEMENT_UWSGI = """\
[uwsgi]
module = placement.wsgi.api:application
processes = 2
"""
ENDPOINTS = """\
identity http://10.0.0.1/identity
image http://10.0.0.1/image
compute http://10.0.0.1/compute/v2.1
volumev3 http://10.0.0.1/volume/v3/$(project_id)s
object-store http://10.0.0.1:8080/v1/AUTH_$(project_id)s
placement http://10.0.0.1/placement
network http://10.0.0.1:9696/networking
key-manager http://10.0.0.1/key-manager"""
SERVICES = {'glance': 'glance-api', 'nova': 'nova-api',
            'cinder': 'cinder-api', 'neutron': 'neutron-server',
            'swift': 'swift-proxy-server'}


class Devstack(object):
    def __init__(self, root):
        self.root = root
        self.etc = root / 'etc'
        self.calls = root / 'calls'
        self.calls.write_text('')
        self.paste = {}
        for project in paste_fixtures.PROJECTS:
            self.paste[project] = paste_fixtures.copy_to(project, self.etc)
        self.uwsgi = {'keystone': self.etc / 'keystone' / 'uwsgi.ini',
                      'placement': self.etc / 'placement' / 'uwsgi.ini'}
        for name, text in (('keystone', KEYSTONE_UWSGI),
                           ('placement', PLACEMENT_UWSGI)):
            self.uwsgi[name].parent.mkdir(parents=True)
            self.uwsgi[name].write_text(text)
        self.log = root / 'var' / 'log' / 'requestshook' / 'requestshook.log'
        self.conf_dir = self.etc / 'requestshook'
        self.systemd = self.etc / 'systemd' / 'system'
        self.venv = os.path.dirname(os.path.dirname(sys.executable))
        self.env = {
            'PATH': os.environ['PATH'], 'HOME': str(root),
            'PYTHON': sys.executable,
            'DEVSTACK_VENV': self.venv,
            'STUB_CALLS': str(self.calls),
            'STUB_ACTIVE_UNITS': 'devstack@keystone.service',
            'STUB_ENDPOINTS': ENDPOINTS,
            'STUB_SILENT_URLS': '',
            'ENABLED_SERVICES': 'key,g-api,n-api,c-api,q-svc,s-proxy,'
                                'placement-api,n-cpu,n-sch,n-cond,c-sch',
            'KEYSTONE_SERVICE_URI': 'http://10.0.0.1/identity',
            'SERVICE_TIMEOUT': '60',
            'STACK_USER': _user(),
            'DEST': str(root / 'opt'),
            'REQUESTSHOOK_DIR': ROOT,
            'REQUESTSHOOK_CONF_DIR': str(self.conf_dir),
            'REQUESTSHOOK_LOG_FILE': str(self.log),
            'REQUESTSHOOK_MAX_BODY_BYTES': '4096',
            'SYSTEMD_DIR': str(self.systemd),
            'GLANCE_API_PASTE_INI': self.paste['glance'],
            'NOVA_API_PASTE_INI': self.paste['nova'],
            'CINDER_API_PASTE_INI': self.paste['cinder'],
            'Q_API_PASTE_FILE': self.paste['neutron'],
            'SWIFT_CONF_DIR': os.path.dirname(self.paste['swift']),
            'KEYSTONE_PUBLIC_UWSGI_CONF': str(self.uwsgi['keystone']),
            'PLACEMENT_UWSGI_CONF': str(self.uwsgi['placement']),
        }

    def run(self, *phase, **env):
        script = ('source %s && source %s/devstack/settings && '
                  'source %s/devstack/plugin.sh %s'
                  % (STUBS, ROOT, ROOT, ' '.join(phase)))
        return subprocess.run(
            ['bash', '-c', script], env=dict(self.env, **env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)

    def calls_made(self):
        return self.calls.read_text().splitlines()

    def snapshot(self):
        files = list(self.paste.values()) + [str(p)
                                             for p in self.uwsgi.values()]
        return {path: open(path, 'rb').read() for path in files}


def _user():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def _ok(result):
    assert result.returncode == 0, (result.stdout.decode() +
                                    result.stderr.decode())
    return result.stdout.decode() + result.stderr.decode()


@pytest.fixture
def devstack(tmp_path, real_paste_files):  # noqa: F811
    if shutil.which('bash') is None:
        pytest.skip('bash is needed')
    return Devstack(tmp_path)


def test_install_pip_installs_the_repository(devstack):
    _ok(devstack.run('stack', 'install'))
    assert 'pip_install %s' % ROOT in devstack.calls_made()
    assert 'define_plugin requestshook' in devstack.calls_made()


def test_sinks_on_every_node_and_redis_on_the_controller(devstack):
    redis_conf = devstack.root / 'redis.conf'
    redis_conf.write_text('port 6379\nbind 127.0.0.1 -::1\n')
    sinks = {'REQUESTSHOOK_SINKS': 'file,redis://10.0.0.1:6379/0,otlp',
             'REQUESTSHOOK_OTLP_ENDPOINT': 'http://10.0.0.1:4318/v1/traces',
             'REQUESTSHOOK_EMIT_TRACEPARENT': 'true',
             'REQUESTSHOOK_REDIS_SERVER': 'true',
             'REQUESTSHOOK_REDIS_CONF': str(redis_conf),
             'SERVICE_HOST': '10.0.0.1'}
    _ok(devstack.run('stack', 'install', **sinks))
    calls = devstack.calls_made()
    assert 'pip_install redis' in calls
    assert 'pip_install opentelemetry-proto' in calls
    assert 'install_package redis-server' in calls
    assert 'restart_service redis-server' in calls
    assert 'bind 127.0.0.1 -::1 10.0.0.1' in redis_conf.read_text()
    _ok(devstack.run('stack', 'install', **sinks))     # again: unchanged
    assert redis_conf.read_text().count('10.0.0.1') == 1
    _ok(devstack.run('stack', 'post-config', **sinks))
    from requestshook.recording import settings
    loaded = settings.load(str(devstack.conf_dir / 'requestshook.conf'))
    assert loaded.sinks == ('file', 'redis://10.0.0.1:6379/0', 'otlp')
    assert loaded.otlp_endpoint == 'http://10.0.0.1:4318/v1/traces'
    assert loaded.emit_traceparent is True


def test_file_is_the_only_sink_by_default(devstack):
    _ok(devstack.run('stack', 'install'))
    assert not [call for call in devstack.calls_made()
                if call in ('pip_install redis',
                            'pip_install opentelemetry-proto')
                or call.startswith('install_package')]
    _ok(devstack.run('stack', 'post-config'))
    from requestshook.recording import settings
    loaded = settings.load(str(devstack.conf_dir / 'requestshook.conf'))
    assert loaded.sinks == ('file',) and loaded.emit_traceparent is False


def test_only_chosen_services_and_nothing_when_disabled(devstack):
    before = devstack.snapshot()
    _ok(devstack.run('stack', 'post-config',
                     REQUESTSHOOK_SERVICES='glance'))
    result = subprocess.run(
        ['bash', '-c', 'source %s && ENABLED_SERVICES=key && '
         'source %s/devstack/plugin.sh stack post-config' % (STUBS, ROOT)],
        env=dict(devstack.env, ENABLED_SERVICES='key'),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert result.returncode == 0
    after = devstack.snapshot()
    changed = [path for path in before if before[path] != after[path]]
    assert changed == [devstack.paste['glance']]


def test_post_config_then_unstack(devstack, monkeypatch):
    originals = devstack.snapshot()
    _ok(devstack.run('stack', 'post-config'))

    conf = (devstack.conf_dir / 'requestshook.conf').read_text()
    assert 'log_file = %s' % devstack.log in conf
    assert 'max_body_bytes = 4096' in conf
    assert 'filters_file = %s' % (devstack.conf_dir /
                                  'should_not_hook.json') in conf
    filters = json.loads((devstack.conf_dir /
                          'should_not_hook.json').read_text())
    assert filters['filters']
    assert stat.S_IMODE(os.stat(str(devstack.log.parent)).st_mode) == 0o750
    assert stat.S_IMODE(os.stat(str(devstack.log)).st_mode) == 0o640

    # Every paste file loads with paste.deploy, the filter where stated.
    paste_stubs.stub_foreign_code(monkeypatch)
    for project, path in devstack.paste.items():
        expected = test_pastefile.EXPECTED_AFTER[project]
        for label, before in expected.items():
            filters = paste_stubs.pipeline_filter_contexts(
                'config:' + path, label)
            names = [name for name, _ in filters]
            own_name, own_service = test_pastefile.expected_filter(
                project, label)
            assert names[names.index(own_name) - 1] == before
            context = dict(filters)[own_name]
            assert context.local_conf == {
                'service_name': own_service,
                'config_file': str(devstack.conf_dir / 'requestshook.conf')}

    keystone = devstack.uwsgi['keystone'].read_text()
    assert 'module = requestshook.wsgi:application' in keystone
    assert '#wsgi-file = /usr/local/bin/keystone-wsgi-public' in keystone
    assert 'env = REQUESTSHOOK_WSGI_APP=keystone.wsgi.api:application' \
        in keystone
    assert 'env = REQUESTSHOOK_SERVICE_NAME=keystone' in keystone
    placement = devstack.uwsgi['placement'].read_text()
    assert 'module = requestshook.wsgi:application' in placement
    assert 'env = REQUESTSHOOK_WSGI_APP=placement.wsgi.api:application' \
        in placement
    assert 'env = REQUESTSHOOK_SERVICE_NAME=placement-api' in placement
    calls = devstack.calls_made()
    # $SYSTEMCTL, which is `systemctl --user` with USER_UNITS=True.
    assert 'systemctl restart devstack@keystone.service' in calls
    assert 'systemctl restart devstack@placement-api.service' not in calls
    assert not [call for call in calls if call.startswith('restart_service')]
    restart = calls.index('systemctl restart devstack@keystone.service')
    assert calls[restart + 1] == (
        'wait_for_service 60 http://10.0.0.1/identity/v3/')

    dropins = sorted(p.relative_to(devstack.systemd).as_posix()
                     for p in devstack.systemd.rglob('*.conf'))
    assert dropins == ['devstack@c-sch.service.d/requestshook.conf',
                       'devstack@n-cond-cell1.service.d/requestshook.conf',
                       'devstack@n-cond.service.d/requestshook.conf',
                       'devstack@n-cpu.service.d/requestshook.conf',
                       'devstack@n-sch.service.d/requestshook.conf',
                       'devstack@n-super-cond.service.d/requestshook.conf']
    assert 'Environment=REQUESTSHOOK_ENABLE=nova-conductor' in (
        devstack.systemd / 'devstack@n-super-cond.service.d' /
        'requestshook.conf').read_text()
    assert 'Environment=REQUESTSHOOK_ENABLE=nova-compute' in (
        devstack.systemd / 'devstack@n-cpu.service.d' /
        'requestshook.conf').read_text()
    assert 'systemctl daemon-reload' in calls

    # post-config again changes nothing.
    configured = devstack.snapshot()
    _ok(devstack.run('stack', 'post-config'))
    assert devstack.snapshot() == configured

    _ok(devstack.run('unstack'))
    assert devstack.snapshot() == originals
    assert not list(devstack.systemd.rglob('*.conf'))
    assert (devstack.conf_dir / 'requestshook.conf').exists()

    _ok(devstack.run('clean'))
    assert not devstack.conf_dir.exists()
    assert devstack.log.exists()


def _dropins(devstack):
    return sorted(p.parent.name for p in devstack.systemd.rglob('*.conf'))


def test_conductors_of_every_cell_and_single_conductor_mode(devstack):
    _ok(devstack.run('stack', 'post-config', NOVA_NUM_CELLS='2'))
    assert [name for name in _dropins(devstack) if 'cond' in name] == [
        'devstack@n-cond-cell1.service.d', 'devstack@n-cond-cell2.service.d',
        'devstack@n-cond.service.d', 'devstack@n-super-cond.service.d']


def test_fake_driver_computes_are_hooked(devstack):
    _ok(devstack.run('stack', 'post-config', VIRT_DRIVER='fake',
                     NUMBER_FAKE_NOVA_COMPUTE='2'))
    assert [name for name in _dropins(devstack) if 'n-cpu' in name] == [
        'devstack@n-cpu-1.service.d', 'devstack@n-cpu-2.service.d',
        'devstack@n-cpu.service.d']
    assert 'REQUESTSHOOK_ENABLE=nova-compute' in (
        devstack.systemd / 'devstack@n-cpu-2.service.d' /
        'requestshook.conf').read_text()
    _ok(devstack.run('unstack', VIRT_DRIVER='fake',
                     NUMBER_FAKE_NOVA_COMPUTE='2'))
    assert _dropins(devstack) == []


def test_openstack_cli_server_is_hooked(devstack):
    services = devstack.env['ENABLED_SERVICES'] + ',openstack-cli-server'
    _ok(devstack.run('stack', 'post-config', ENABLED_SERVICES=services))
    assert 'Environment=REQUESTSHOOK_ENABLE=openstack' in (
        devstack.systemd / 'devstack@openstack-cli-server.service.d' /
        'requestshook.conf').read_text()


def test_plugin_phases_show_in_the_xtrace(devstack):
    script = ('source %s && source %s/devstack/settings && set -o xtrace && '
              'source %s/devstack/plugin.sh stack post-config'
              % (STUBS, ROOT, ROOT))
    result = subprocess.run(['bash', '-c', script], env=devstack.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=300)
    trace = _ok(result)
    assert '+ configure_requestshook' in trace
    assert '+ requestshook_cli paste insert' in trace


def test_extra_checks_each_service_echoes_the_header(devstack):
    silent = 'http://10.0.0.1/volume/v3/'
    output = _ok(devstack.run('stack', 'extra', STUB_SILENT_URLS=silent))
    curled = [call.split(' ', 1)[1] for call in devstack.calls_made()
              if call.startswith('curl ')]
    assert curled == [
        'http://10.0.0.1/identity', 'http://10.0.0.1/image/v2/images',
        'http://10.0.0.1/compute/v2.1', silent, 'http://10.0.0.1:8080/v1/',
        'http://10.0.0.1/placement', 'http://10.0.0.1:9696/networking']
    assert 'requestshook: glance (http://10.0.0.1/image/v2/images) ' \
        'records its calls' in output
    assert 'WARNING: requestshook: cinder (%s) does not echo' % silent \
        in output

    strict = devstack.run('stack', 'extra', STUB_SILENT_URLS=silent,
                          REQUESTSHOOK_STRICT_CHECK='True')
    assert strict.returncode != 0
    assert b'ERROR: requestshook: some services are not recorded' in \
        strict.stderr


@pytest.mark.parametrize('script', ['devstack/plugin.sh', 'devstack/settings'])
def test_shellcheck_is_clean(script):
    if shutil.which('shellcheck') is None:
        pytest.skip('shellcheck (Debian package) is not installed')
    result = subprocess.run(['shellcheck', '-s', 'bash', script], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, result.stdout.decode()
