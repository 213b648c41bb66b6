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

import configparser

from requestshook.loopback import compute
from requestshook.loopback import computeconfigs
from requestshook.loopback import configs


def _site(tmp_path):
    return configs.Site(str(tmp_path), ports=dict(configs.SERVICE_PORTS))


def _parse(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_databases_are_mariadb_with_the_stack_user(tmp_path):
    site = _site(tmp_path)
    url = site.database_url('nova')
    assert url.startswith('mysql+pymysql://stack:')
    assert site.passwords['mariadb'] in url
    assert '@127.0.0.1:%d/nova?' % site.ports['mariadb'] in url


def test_sqlite_when_mariadb_cannot_be_had(tmp_path):
    site = _site(tmp_path)
    site.mariadb = False
    assert site.database_url('keystone') == 'sqlite:///%s' % (
        tmp_path / 'keystone.db')
    keystone = _parse(configs.keystone_conf(site))
    assert keystone['database']['connection'].startswith('sqlite:///')


def test_keystone_and_glance_use_mariadb(tmp_path):
    site = _site(tmp_path)
    keystone = _parse(configs.keystone_conf(site))
    glance = _parse(configs.glance_api_conf(site))
    assert keystone['database']['connection'] == \
        site.database_url('keystone')
    assert glance['database']['connection'] == site.database_url('glance')


def test_nova_compute_config_holds_no_database(tmp_path):
    site = _site(tmp_path)
    nova = _parse(computeconfigs.nova_conf(site))
    assert not nova.has_section('database')
    assert not nova.has_section('api_database')
    assert nova['DEFAULT']['compute_driver'] == 'fake.SmallFakeDriver'
    assert nova['DEFAULT']['transport_url'] == site.transport_url
    databases = _parse(computeconfigs.nova_db_conf(site))
    assert databases['api_database']['connection'] == \
        site.database_url('nova_api')


def test_transport_url_uses_the_stack_rabbitmq_password(tmp_path):
    site = _site(tmp_path)
    assert site.transport_url == 'rabbit://stack:%s@127.0.0.1:%d/' % (
        site.passwords['rabbitmq'], site.ports['rabbitmq'])


def test_neutron_is_ml2_without_mechanism_driver(tmp_path):
    site = _site(tmp_path)
    neutron = _parse(computeconfigs.neutron_conf(site))
    ml2 = _parse(computeconfigs.ml2_conf())
    assert neutron['DEFAULT']['core_plugin'] == 'ml2'
    assert neutron['DEFAULT']['api_paste_config'] == \
        computeconfigs.neutron_paste(site)
    assert ml2['ml2']['mechanism_drivers'] == ''
    assert 'ovn' not in computeconfigs.ml2_conf()


def test_placement_syncs_its_database_on_start(tmp_path):
    placement = _parse(computeconfigs.placement_conf(_site(tmp_path)))
    assert placement['placement_database']['sync_on_startup'] == 'true'


def test_every_service_user_gets_the_service_role(tmp_path):
    commands = compute.catalog_commands(_site(tmp_path))
    for user in compute.USERS:
        assert 'role add --project service --user %s service' % user in \
            commands
    kinds = [c.split()[-1] for c in commands if c.startswith('service ')]
    assert kinds == ['compute', 'placement', 'network']


def test_write_all_copies_the_shipped_paste_files(tmp_path):
    site = _site(tmp_path / 'stack')
    shipped = tmp_path / 'shipped.ini'
    shipped.write_text('[pipeline:main]\npipeline = app\n')
    computeconfigs.write_all(site, str(shipped), str(shipped))
    with open(computeconfigs.nova_paste(site)) as copy:
        assert copy.read() == shipped.read_text()
    for name in ('nova/nova.conf', 'nova/nova-db.conf',
                 'placement/placement.conf', 'neutron/neutron.conf',
                 'neutron/ml2_conf.ini'):
        assert (tmp_path / 'stack' / name).exists(), name


def test_glance_import_methods_parse_as_glance_reads_them(tmp_path):
    # glance's ListOpt has bounds=True: a list without brackets fails
    # when first read, and glance then answers 500 to POST /v2/images.
    from oslo_config import types
    glance = _parse(configs.glance_api_conf(_site(tmp_path)))
    read = types.List(item_type=types.String(quotes=True), bounds=True)
    methods = read(glance['DEFAULT']['enabled_import_methods'])
    assert 'web-download' not in methods
    assert 'glance-direct' in methods
