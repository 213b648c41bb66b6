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

from requestshook.loopback import backends
from requestshook.loopback import configs
from requestshook.loopback import debian


def _absent(monkeypatch):
    monkeypatch.setattr(debian, 'mariadb_present', lambda: False)
    monkeypatch.setattr(debian, 'rabbitmq_present', lambda: False)


def test_not_root_names_the_command(monkeypatch, tmp_path):
    _absent(monkeypatch)
    monkeypatch.setattr(debian.os, 'geteuid', lambda: 1000)
    with pytest.raises(debian.Missing) as missing:
        debian.ensure(['mariadb', 'rabbitmq'], str(tmp_path / 'apt.log'))
    assert 'apt-get install -y mariadb-server rabbitmq-server' in \
        str(missing.value)


def test_present_packages_need_no_apt(monkeypatch, tmp_path):
    monkeypatch.setattr(debian, 'mariadb_present', lambda: True)
    monkeypatch.setattr(debian.subprocess, 'call', pytest.fail)
    assert debian.ensure(['mariadb'], str(tmp_path / 'apt.log')) == [
        'mariadb']


class _Stack(object):
    def __init__(self, root):
        self.site = configs.Site(root, ports=dict(configs.SERVICE_PORTS))


def test_image_part_falls_back_to_sqlite_and_says_so(monkeypatch, tmp_path,
                                                     capsys):
    _absent(monkeypatch)
    monkeypatch.setattr(debian.os, 'geteuid', lambda: 1000)
    stack = _Stack(str(tmp_path))
    assert backends.choose(stack, compute=False) == []
    assert stack.site.mariadb is False
    assert 'keystone and glance run on SQLite' in capsys.readouterr().err


def test_compute_part_needs_mariadb_and_rabbitmq(monkeypatch, tmp_path):
    _absent(monkeypatch)
    monkeypatch.setattr(debian.os, 'geteuid', lambda: 1000)
    with pytest.raises(debian.Missing):
        backends.choose(_Stack(str(tmp_path)), compute=True)


def test_sql_quotes_the_password():
    sql = debian.create_databases_sql(['nova'], 'stack', "it's")
    assert "IDENTIFIED BY 'it\\'s'" in sql
    assert 'CREATE DATABASE `nova`' in sql


def test_rabbitmq_listens_on_loopback_with_its_own_user():
    conf = debian.rabbitmq_conf(5679, 'stack', 'secret')
    assert 'listeners.tcp.1 = 127.0.0.1:5679' in conf
    assert 'default_pass = secret' in conf


def test_rabbitmq_node_keeps_to_its_folder_and_ports():
    env = debian.rabbitmq_env('/x', 5679, 4370, 25679)
    assert env['HOME'] == '/x'
    assert env['ERL_EPMD_PORT'] == '4370'
    assert env['RABBITMQ_DIST_PORT'] == '25679'
    assert env['ERL_EPMD_ADDRESS'] == '127.0.0.1'
