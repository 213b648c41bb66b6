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
import os
import socket

from requestshook.loopback import configs
from requestshook.recording import settings


def _site(tmp_path, **ports):
    base = dict(configs.SERVICE_PORTS)
    base.update(ports)
    return configs.Site(str(tmp_path), ports=base)


def _parse(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_choose_ports_skips_a_busy_usual_port(monkeypatch):
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        taken = busy.getsockname()[1]
        monkeypatch.setattr(configs, 'SERVICE_PORTS',
                            (('keystone', taken), ('glance-api', taken)))
        ports = configs.choose_ports()
    assert taken not in ports.values()
    assert ports['keystone'] != ports['glance-api']


def test_requestshook_conf_is_read_by_requestshook_settings(tmp_path):
    site = _site(tmp_path, keystone=15000)
    for enabled in (True, False):
        configs.write(site.requestshook_conf,
                      configs.requestshook_conf(site, enabled))
        loaded = settings.load(site.requestshook_conf)
        assert loaded.enabled is enabled
        assert loaded.log_file == site.log_file
        assert '127.0.0.1:15000=keystone' in loaded.url_map


def test_files_are_not_world_readable(tmp_path):
    site = _site(tmp_path)
    configs.write(site.path('glance', 'glance-api.conf'),
                  configs.glance_api_conf(site))
    mode = os.stat(site.path('glance', 'glance-api.conf')).st_mode
    assert mode & 0o007 == 0


def test_glance_stores_images_in_swift_as_the_seeds(tmp_path):
    site = _site(tmp_path)
    glance = _parse(configs.glance_api_conf(site))
    assert glance['glance_store']['default_backend'] == 'swift'
    assert glance['paste_deploy']['flavor'] == 'keystone'
    assert glance['paste_deploy']['config_file'] == site.glance_paste
    assert glance['keystone_authtoken']['password'] == \
        site.passwords['glance']
    refs = _parse(configs.glance_swift_conf(site))
    assert refs['ref1']['auth_address'] == site.auth_url


def test_swift_servers_use_the_chosen_ports(tmp_path):
    site = _site(tmp_path, **{'swift-object-server': 16200,
                              'swift-proxy-server': 18080})
    proxy = _parse(configs.proxy_server_conf(site))
    assert proxy['DEFAULT']['bind_port'] == '18080'
    assert proxy['pipeline:main']['pipeline'] == configs.PROXY_PIPELINE
    for name in configs.PROXY_PIPELINE.split()[:-1]:
        assert proxy.has_section('filter:%s' % name), name
    obj = _parse(configs.storage_server_conf(site, 'object'))
    assert obj['DEFAULT']['bind_port'] == '16200'
    assert obj['app:object-server']['use'] == 'egg:swift#object'


def test_a_usual_port_claimed_by_another_stack_is_not_chosen(
        monkeypatch, tmp_path):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        usual = probe.getsockname()[1]
    monkeypatch.setattr(configs, 'SERVICE_PORTS', (('keystone', usual),))
    first = configs.choose_ports()
    try:
        assert first == {'keystone': usual}
        # Not bound yet (its stack is bootstrapping): still not free.
        assert configs.choose_ports()['keystone'] != usual
    finally:
        configs.release_ports(first)
    assert configs.choose_ports() == {'keystone': usual}
    configs.release_ports({'keystone': usual})
