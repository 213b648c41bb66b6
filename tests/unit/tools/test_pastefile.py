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

import argparse
import os

import pytest

from requestshook.cmd import paste as paste_command
from requestshook.capture import middleware
from requestshook.tools import pastefile
from requestshook.tools import pasteio
from tests.unit import paste_fixtures
from tests.unit.paste_fixtures import real_paste_files  # noqa: F401
from tests.unit import paste_stubs

# Where the docs say the filter goes: the filter right before it, for each
# pipeline of each real file.
EXPECTED_AFTER = {
    'glance': dict(('[composite:api] %s' % flavour, 'versionnegotiation')
                   for flavour in ('default', 'caching', 'cachemanagement',
                                   'keystone', 'keystone+caching',
                                   'keystone+cachemanagement')),
    'nova': {
        '[pipeline:meta] pipeline': 'http_proxy_to_wsgi',
        '[composite:openstack_compute_api_v21] keystone': 'compute_req_id',
        '[composite:openstack_compute_api_v21_legacy_v2_compatible] '
        'keystone': 'compute_req_id',
        '[pipeline:oscomputeversions] pipeline': 'cors',
        '[pipeline:oscomputeversion_v2] pipeline': 'compute_req_id',
        '[pipeline:oscomputeversion_legacy_v2] pipeline': 'compute_req_id',
    },
    'cinder': {
        '[composite:openstack_volume_api_v3] noauth': 'http_proxy_to_wsgi',
        '[composite:openstack_volume_api_v3] noauth_include_project_id':
            'http_proxy_to_wsgi',
        '[composite:openstack_volume_api_v3] keystone': 'http_proxy_to_wsgi',
        '[composite:openstack_volume_api_v3] keystone_nolimit':
            'http_proxy_to_wsgi',
        '[pipeline:apiversions] pipeline': 'http_proxy_to_wsgi',
        '[pipeline:healthcheck] pipeline': 'request_id',
    },
    'neutron': {
        '[composite:neutronapi_v2_0] noauth': 'request_id',
        '[composite:neutronapi_v2_0] keystone': 'request_id',
        '[composite:neutronversions_composite] noauth': 'http_proxy_to_wsgi',
        '[composite:neutronversions_composite] keystone':
            'http_proxy_to_wsgi',
    },
    'swift': {'[pipeline:main] pipeline': 'proxy-logging'},
}
SERVICE_NAMES = {'glance': 'glance-api', 'nova': 'nova-api',
                 'cinder': 'cinder-api', 'neutron': 'neutron-server',
                 'swift': 'swift-proxy-server'}
# Pipelines a process of their own serves: (filter name, service name).
OWN_PROCESS = {'[pipeline:meta] pipeline': ('requestshook-meta',
                                            'nova-api-metadata')}


def expected_filter(project, label):
    """(filter name, service name) the pipeline gets after insert."""
    if project == 'nova' and label in OWN_PROCESS:
        return OWN_PROCESS[label]
    return 'requestshook', SERVICE_NAMES[project]


@pytest.fixture
def paste_file(request, tmp_path, real_paste_files):  # noqa: F811
    return paste_fixtures.copy_to(request.param, tmp_path)


def _bytes(path):
    with open(path, 'rb') as stream:
        return stream.read()


def _names_after_insert(path):
    return {state.label: state.names
            for state in pastefile.describe(pasteio.read(path))}


@pytest.mark.parametrize('paste_file', paste_fixtures.PROJECTS,
                         indirect=True)
def test_default_service_name_of_real_file(paste_file):
    project = os.path.basename(os.path.dirname(paste_file))
    assert pasteio.default_service_name(
        paste_file, pasteio.read(paste_file)) == SERVICE_NAMES[project]


@pytest.mark.parametrize('paste_file', paste_fixtures.PROJECTS,
                         indirect=True)
def test_insert_puts_filter_where_stated(paste_file):
    project = os.path.basename(os.path.dirname(paste_file))
    original = _bytes(paste_file)
    changed, saved = pasteio.edit(
        paste_file, lambda text: pastefile.insert(text, 'svc'))
    assert changed
    assert _bytes(saved) == original
    found = {}
    for label, names in _names_after_insert(paste_file).items():
        ours = [name for name in names if pastefile.is_filter_name(name)]
        assert len(ours) == 1, label
        found[label] = names[names.index(ours[0]) - 1]
    assert found == EXPECTED_AFTER[project]


@pytest.mark.parametrize('paste_file', paste_fixtures.PROJECTS,
                         indirect=True)
def test_insert_twice_is_insert_once(paste_file):
    once = pastefile.insert(pasteio.read(paste_file), 'svc')
    assert pastefile.insert(once, 'svc') == once
    changed, saved = pasteio.edit(
        paste_file, lambda text: pastefile.insert(text, 'svc'))
    assert changed
    changed, saved = pasteio.edit(
        paste_file, lambda text: pastefile.insert(text, 'svc'))
    assert (changed, saved) == (False, None)
    assert pasteio.read(paste_file) == once


@pytest.mark.parametrize('paste_file', paste_fixtures.PROJECTS,
                         indirect=True)
def test_remove_gives_back_original_bytes(paste_file):
    original = _bytes(paste_file)
    pasteio.edit(paste_file, lambda text: pastefile.insert(text, 'svc'))
    assert _bytes(paste_file) != original
    changed, _ = pasteio.edit(paste_file, pastefile.remove)
    assert changed
    assert _bytes(paste_file) == original


@pytest.mark.parametrize('paste_file', paste_fixtures.PROJECTS,
                         indirect=True)
def test_inserted_file_loads_with_paste_deploy(paste_file, monkeypatch):
    project = os.path.basename(os.path.dirname(paste_file))
    service = SERVICE_NAMES[project]
    pasteio.edit(paste_file, lambda text: pastefile.insert(text, service))
    paste_stubs.stub_foreign_code(monkeypatch)
    uri = 'config:' + paste_file
    expected = EXPECTED_AFTER[project]
    seen = {}
    for label in expected:
        filters = paste_stubs.pipeline_filter_contexts(uri, label)
        ours = [index for index, (name, context) in enumerate(filters)
                if context.object is middleware.filter_factory]
        assert len(ours) == 1, label
        name, context = filters[ours[0]]
        own_name, own_service = expected_filter(project, label)
        assert name == own_name
        assert context.local_conf == {'service_name': own_service}
        seen[label] = filters[ours[0] - 1][0]
    assert seen == expected


@pytest.mark.parametrize('paste_file', paste_fixtures.PROJECTS,
                         indirect=True)
def test_original_file_loads_without_the_filter(paste_file, monkeypatch):
    # The same check on the untouched file finds no requestshook: the
    # loading above proves something.
    project = os.path.basename(os.path.dirname(paste_file))
    paste_stubs.stub_foreign_code(monkeypatch)
    for label in EXPECTED_AFTER[project]:
        filters = paste_stubs.pipeline_filter_contexts(
            'config:' + paste_file, label)
        assert filters
        assert not [c for _, c in filters
                    if c.object is middleware.filter_factory]


def _run_command(*argv):
    parser = argparse.ArgumentParser()
    paste_command.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.mark.parametrize('paste_file', ['glance'], indirect=True)
def test_command_insert_show_remove(paste_file, capsys):
    original = _bytes(paste_file)
    assert _run_command('paste', 'insert', paste_file) == 0
    out = capsys.readouterr().out
    assert 'inserted (service_name = glance-api)' in out
    assert os.path.exists(paste_file + pasteio.BACKUP_SUFFIX)
    assert _run_command('paste', 'insert', paste_file) == 0
    assert 'unchanged' in capsys.readouterr().out
    assert _run_command('paste', 'show', paste_file) == 0
    out = capsys.readouterr().out
    assert 'service_name = glance-api' in out
    assert out.count('requestshook: after versionnegotiation, '
                     'before osprofiler') == 6
    assert _run_command('paste', 'remove', '--no-backup', paste_file) == 0
    assert _bytes(paste_file) == original
    assert _run_command('paste', 'show', paste_file) == 0
    out = capsys.readouterr().out
    assert '[filter:requestshook]: absent' in out
    assert 'insert puts it after versionnegotiation' in out


@pytest.mark.parametrize('paste_file', ['swift'], indirect=True)
def test_command_service_name_override(paste_file):
    assert _run_command('paste', 'insert', '--no-backup',
                        '--service-name', 'proxy-east', paste_file) == 0
    assert not os.path.exists(paste_file + pasteio.BACKUP_SUFFIX)
    assert pastefile.service_name_of(
        pasteio.read(paste_file)) == 'proxy-east'


def test_command_refuses_file_without_pipeline(tmp_path, capsys):
    path = tmp_path / 'glance-api.conf'
    path.write_text('[DEFAULT]\ndebug = true\n')
    assert _run_command('paste', 'insert', str(path)) == 1
    assert 'no pipeline' in capsys.readouterr().err
    assert path.read_text() == '[DEFAULT]\ndebug = true\n'


def test_command_reports_missing_file(tmp_path, capsys):
    assert _run_command('paste', 'show', str(tmp_path / 'nope.ini')) == 1
    assert 'nope.ini' in capsys.readouterr().err


CONTINUED = """\
# swift, one name a line
[DEFAULT]
bind_port = 8080

[pipeline:main]
pipeline = catch_errors
    gatekeeper
    # healthcheck is off here
    proxy-logging
    authtoken keystoneauth
    proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
[filter:keystoneauth]
use = egg:swift#keystoneauth
"""


def test_pipeline_over_continuation_lines():
    inserted = pastefile.insert(CONTINUED, 'swift-proxy-server')
    assert '    requestshook authtoken keystoneauth\n' in inserted
    assert '    # healthcheck is off here\n' in inserted
    [state] = pastefile.describe(inserted)
    assert state.names[state.position - 1] == 'proxy-logging'
    assert state.names[state.position + 1] == 'authtoken'
    assert pastefile.remove(inserted) == CONTINUED


def test_continued_pipeline_loads_with_paste_deploy(tmp_path, monkeypatch):
    path = tmp_path / 'proxy-server.conf'
    path.write_text(pastefile.insert(CONTINUED, 'swift-proxy-server'))
    paste_stubs.stub_foreign_code(monkeypatch)
    names = [name for name, _ in paste_stubs.pipeline_filter_contexts(
        'config:%s' % path, '[pipeline:main] pipeline')]
    assert names == ['catch_errors', 'gatekeeper', 'proxy-logging',
                     'requestshook', 'authtoken', 'keystoneauth',
                     'proxy-logging']


def test_file_without_final_newline_and_crlf():
    text = ('[pipeline:main]\r\npipeline = cors request_id app\r\n'
            '[filter:cors]\r\nuse = egg:x#cors\r\n'
            '[filter:request_id]\r\nuse = egg:x#r')
    inserted = pastefile.insert(text, 'x-api')
    assert 'pipeline = cors request_id requestshook app\r\n' in inserted
    assert inserted.endswith('service_name = x-api\r\n')
    assert '\n' not in inserted.replace('\r\n', '')
    assert pastefile.remove(inserted) == text


def test_pipeline_starting_with_app_gets_filter_first():
    text = '[pipeline:main]\npipeline = sizelimit app\n'
    inserted = pastefile.insert(text, 'x')
    assert 'pipeline = requestshook sizelimit app\n' in inserted
    assert pastefile.remove(inserted) == text


def test_new_service_name_replaces_old_one_in_place():
    text = pastefile.insert('[pipeline:main]\npipeline = cors app\n', 'old')
    renamed = pastefile.insert(text, 'new')
    assert renamed == text.replace('service_name = old', 'service_name = new')
    assert pastefile.remove(renamed) == (
        '[pipeline:main]\npipeline = cors app\n')


def test_remove_of_hand_written_filter_keeps_the_rest():
    text = ('[pipeline:main]\npipeline = cors\trequestshook\tapp\n\n'
            '[filter:requestshook]\n'
            'paste.filter_factory = requestshook.middleware:filter_factory\n'
            '# keep me\n'
            '[app:app]\nuse = egg:x#app\n')
    assert pastefile.remove(text) == (
        '[pipeline:main]\npipeline = cors\tapp\n\n# keep me\n'
        '[app:app]\nuse = egg:x#app\n')


def test_pipeline_whose_app_is_a_hooked_pipeline_is_left_alone():
    text = ('[pipeline:outer]\npipeline = cors inner\n'
            '[pipeline:inner]\npipeline = cors app\n')
    inserted = pastefile.insert(text, 'x')
    assert 'pipeline = cors inner\n' in inserted
    assert 'pipeline = cors requestshook app\n' in inserted
    states = {s.label: s for s in pastefile.describe(inserted)}
    assert not states['[pipeline:outer] pipeline'].hooked


def test_urlmap_keys_are_not_pipelines():
    text = ('[composite:main]\nuse = egg:Paste#urlmap\n/: versions\n'
            '/v2: api v2\n[pipeline:versions]\npipeline = cors app\n'
            '[filter:cors]\nuse = egg:x#cors\n')
    labels = [s.label for s in pastefile.describe(text)]
    assert labels == ['[pipeline:versions] pipeline']


@pytest.mark.parametrize('path, text, name', [
    ('/etc/glance/glance-api-paste.ini', '', 'glance-api'),
    ('/etc/nova/api-paste.ini', '', 'nova-api'),
    ('/etc/cinder/api-paste.ini', '', 'cinder-api'),
    ('/etc/neutron/api-paste.ini', '', 'neutron-server'),
    ('/etc/swift/proxy-server.conf', '', 'swift-proxy-server'),
    ('/tmp/x/api-paste.ini', '[composite:osapi_compute]\n', 'nova-api'),
    ('/etc/manila/api-paste.ini', '', 'manila-api'),
    ('/etc/foo/api-paste.ini', '', 'foo-api'),
    ('/etc/heat/heat-api-cfn-paste.ini', '', 'heat-api-cfn'),
])
def test_default_service_name(path, text, name):
    assert pasteio.default_service_name(path, text) == name


def test_write_keeps_mode_and_makes_backup(tmp_path):
    path = tmp_path / 'api-paste.ini'
    path.write_text('[pipeline:main]\npipeline = cors app\n')
    os.chmod(str(path), 0o640)
    changed, saved = pasteio.edit(
        str(path), lambda text: pastefile.insert(text, 'x'))
    assert changed
    assert os.stat(str(path)).st_mode & 0o777 == 0o640
    assert saved == str(path) + pasteio.BACKUP_SUFFIX
    second = pasteio.backup_path(str(path))
    assert second != saved and second.endswith('.bak')


def test_symlinked_file_is_edited_through_the_link(tmp_path):
    real = tmp_path / 'real.ini'
    real.write_text('[pipeline:main]\npipeline = cors app\n')
    link = tmp_path / 'api-paste.ini'
    os.symlink(str(real), str(link))
    pasteio.edit(str(link), lambda t: pastefile.insert(t, 'x'),
                 backup=False)
    assert os.path.islink(str(link))
    assert 'requestshook' in real.read_text()


@pytest.mark.parametrize('pipeline, before', [
    # devstack's swift proxy: no proxy-logging at the front.
    ('catch_errors gatekeeper healthcheck cache bulk tempurl ratelimit '
     'crossdomain container_sync authtoken keystoneauth copy slo dlo '
     'versioned_writes proxy-logging proxy-server', 'healthcheck'),
    # Only the first proxy-logging of the leading run counts.
    ('catch_errors proxy-logging proxy-logging proxy-server',
     'proxy-logging'),
    # A pipeline that starts with its app's neighbour.
    ('authtoken app', None),
])
def test_placement_rule(pipeline, before):
    names = pipeline.split()
    position = pastefile.placement(names)
    assert (names[position - 1] if position else None) == before
    assert names[:position].count('proxy-logging') <= 1


def test_hand_written_section_without_service_name_gets_one():
    text = ('[pipeline:main]\npipeline = cors requestshook app\n'
            '[filter:requestshook]\n'
            'paste.filter_factory = requestshook.middleware:filter_factory')
    inserted = pastefile.insert(text, 'nova-api')
    assert inserted == text + '\nservice_name = nova-api\n'
    assert pastefile.service_name_of(inserted) == 'nova-api'


def test_pipeline_of_its_own_process_gets_its_own_section():
    text = ('[composite:metadata]\nuse = egg:Paste#urlmap\n/: meta\n'
            '[pipeline:meta]\npipeline = cors metaapp\n'
            '[pipeline:main]\npipeline = cors app\n'
            '[filter:cors]\nuse = egg:x#cors')
    inserted = pastefile.insert(text, 'nova-api')
    assert 'pipeline = cors requestshook-meta metaapp\n' in inserted
    assert 'pipeline = cors requestshook app\n' in inserted
    assert '[filter:requestshook-meta]\n' in inserted
    assert 'service_name = nova-api-metadata\n' in inserted
    assert pastefile.insert(inserted, 'nova-api') == inserted
    assert pastefile.remove(inserted) == text


def test_pipeline_service_names_from_the_caller():
    text = '[pipeline:admin]\npipeline = cors app\n'
    inserted = pastefile.insert(text, 'x-api', {'admin': 'x-admin'})
    assert 'pipeline = cors requestshook-admin app\n' in inserted
    assert 'service_name = x-admin\n' in inserted
    [state] = pastefile.describe(inserted)
    assert state.names[state.position] == 'requestshook-admin'
    assert pastefile.remove(inserted) == text


def test_paste_insert_pipeline_service_option(tmp_path, capsys):
    path = tmp_path / 'api-paste.ini'
    path.write_text('[pipeline:admin]\npipeline = cors app\n')
    parser = argparse.ArgumentParser()
    paste_command.register(parser.add_subparsers())
    args = parser.parse_args(['paste', 'insert', '--no-backup',
                              '--service-name', 'x-api',
                              '--pipeline-service', 'admin=x-admin',
                              str(path)])
    assert args.func(args) == 0
    assert '[pipeline:admin]: x-admin' in capsys.readouterr().out
    assert 'service_name = x-admin' in path.read_text()
    with pytest.raises(SystemExit):
        parser.parse_args(['paste', 'insert', '--pipeline-service', 'admin',
                           str(path)])
