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

import os
import sys

from oslo_config import cfg
import pytest

from requestshook.recording import opts
from requestshook.recording import settings


def _write(path, text):
    path.write_text(text)
    return str(path)


def test_missing_file_means_defaults(tmp_path):
    loaded = settings.load(str(tmp_path / 'absent.conf'))
    assert loaded == settings.Settings()
    assert loaded.config_file is None
    assert loaded.url_map == tuple(opts.DEFAULT_URL_MAP)


def test_missing_required_file_raises(tmp_path):
    with pytest.raises(settings.ConfigMissing) as raised:
        settings.load(str(tmp_path / 'absent.conf'), required=True)
    assert 'absent.conf does not exist' in str(raised.value)
    assert isinstance(raised.value, settings.SettingsError)


def test_file_that_cannot_be_looked_at_raises(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    with pytest.raises(settings.SettingsError) as raised:
        settings.load(str(blocker / 'r.conf'))
    assert not isinstance(raised.value, settings.ConfigMissing)


def test_required_file_that_exists_is_read(tmp_path):
    path = _write(tmp_path / 'r.conf', '[DEFAULT]\nenabled = false\n')
    loaded = settings.load(path, required=True)
    assert loaded.enabled is False
    assert loaded.config_file == path


def test_named_config_file(monkeypatch):
    monkeypatch.delenv('REQUESTSHOOK_CONFIG', raising=False)
    assert settings.named_config_file() is None
    monkeypatch.setenv('REQUESTSHOOK_CONFIG', '/srv/r.conf')
    assert settings.named_config_file() == '/srv/r.conf'


def test_settings_are_immutable():
    with pytest.raises(AttributeError):
        settings.Settings().enabled = False


def test_file_values(tmp_path):
    path = _write(tmp_path / 'r.conf', '\n'.join([
        '[DEFAULT]', 'enabled = false', 'service_name = glance-api',
        'log_file = /tmp/x.log', 'log_group = stack',
        'max_body_bytes = 10', 'filters_file = /tmp/f.json',
        'redact_headers = X-A, X-B', 'redact_body_keys = pin',
        'url_map = :1=one, /two=two', '']))
    loaded = settings.load(path)
    assert loaded == settings.Settings(
        enabled=False, service_name='glance-api', log_file='/tmp/x.log',
        log_group='stack', max_body_bytes=10, filters_file='/tmp/f.json',
        redact_headers=('X-A', 'X-B'), redact_body_keys=('pin',),
        url_map=(':1=one', '/two=two'), config_file=path)


def test_overrides_win_and_convert(tmp_path):
    path = _write(tmp_path / 'r.conf',
                  '[DEFAULT]\nservice_name = from-file\nenabled = false\n')
    loaded = settings.load(path, {'service_name': 'glance-api',
                                  'enabled': 'True', 'max_body_bytes': '5',
                                  'url_map': ':9=nine',
                                  'config_file': '/ignored',
                                  'paste.app_factory': 'x'})
    assert loaded.service_name == 'glance-api'
    assert loaded.enabled is True
    assert loaded.max_body_bytes == 5
    assert loaded.url_map == (':9=nine',)


def test_bad_override_skipped_and_told(tmp_path):
    seen = []
    loaded = settings.load(str(tmp_path / 'absent.conf'),
                           {'max_body_bytes': 'lots', 'service_name': 'x'},
                           lambda *args: seen.append(args[:2]))
    assert seen == [('max_body_bytes', 'lots')]
    assert loaded.max_body_bytes == 65536
    assert loaded.service_name == 'x'


def test_blank_strings_mean_unset(tmp_path):
    path = _write(tmp_path / 'r.conf',
                  '[DEFAULT]\nservice_name =\nlog_group =  \n')
    loaded = settings.load(path)
    assert loaded.service_name is None
    assert loaded.log_group is None


@pytest.mark.parametrize('text', [
    'no section here\n',
    '[DEFAULT]\nmax_body_bytes = lots\n',
    '[DEFAULT]\nmax_body_bytes = -1\n',
    '[DEFAULT]\nenabled = maybe\n',
    '[DEFAULT]\nurl_map = keystone\n',
])
def test_broken_file_raises(tmp_path, text):
    with pytest.raises(settings.SettingsError) as raised:
        settings.load(_write(tmp_path / 'r.conf', text))
    assert 'r.conf' in str(raised.value)


def test_unreadable_file_raises(tmp_path):
    path = tmp_path / 'dir.conf'
    path.mkdir()
    with pytest.raises(settings.SettingsError):
        settings.load(str(path))


def test_never_parses_argv_nor_environment(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['gunicorn', '-b', '127.0.0.1:1',
                                      '--config-file', '/nonexistent'])
    monkeypatch.setenv('OS_DEFAULT__LOG_FILE', '/tmp/service.log')
    monkeypatch.setenv('OS_DEFAULT__ENABLED', 'false')
    loaded = settings.load(str(tmp_path / 'absent.conf'))
    assert loaded.log_file == '/var/log/requestshook/requestshook.log'
    assert loaded.enabled is True


def test_global_conf_untouched(tmp_path):
    path = _write(tmp_path / 'r.conf', '[DEFAULT]\nenabled = false\n')
    settings.load(path)
    assert 'max_body_bytes' not in cfg.CONF
    assert 'enabled' not in cfg.CONF


def test_default_config_file(monkeypatch):
    monkeypatch.delenv('REQUESTSHOOK_CONFIG', raising=False)
    assert settings.default_config_file() == \
        '/etc/requestshook/requestshook.conf'
    monkeypatch.setenv('REQUESTSHOOK_CONFIG', '/srv/r.conf')
    assert settings.default_config_file() == '/srv/r.conf'


def test_file_signature_tracks_replacement(tmp_path):
    path = tmp_path / 'f'
    assert settings.file_signature(str(path)) is None
    assert settings.file_signature(None) is None
    path.write_text('a')
    first = settings.file_signature(str(path))
    other = tmp_path / 'g'
    other.write_text('b')
    os.utime(str(other), ns=(os.stat(str(path)).st_atime_ns,
                             os.stat(str(path)).st_mtime_ns))
    os.replace(str(other), str(path))
    assert settings.file_signature(str(path)) != first
