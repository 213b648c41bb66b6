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

from requestshook.reading import logpath


def _env(tmp_path, **extra):
    env = {'HOME': str(tmp_path),
           'XDG_STATE_HOME': str(tmp_path / 'state'),
           'REQUESTSHOOK_CONFIG': str(tmp_path / 'absent.conf')}
    env.update(extra)
    return env


def test_default_when_nothing_is_configured(tmp_path):
    assert logpath.log_to_read(_env(tmp_path)) == logpath.DEFAULT_LOG


def test_environment_wins(tmp_path):
    env = _env(tmp_path, REQUESTSHOOK_LOG_FILE=' /tmp/x.log ')
    assert logpath.log_to_read(env) == '/tmp/x.log'


def test_log_file_of_the_config_file(tmp_path):
    conf = tmp_path / 'requestshook.conf'
    conf.write_text('[DEFAULT]\nenabled = true\nlog_file = /srv/rh.log\n')
    env = _env(tmp_path, REQUESTSHOOK_CONFIG=str(conf))
    assert logpath.configured_log_file(environ=env) == '/srv/rh.log'
    assert logpath.configured_log_file(str(conf), {}) == '/srv/rh.log'
    assert logpath.log_to_read(env) == '/srv/rh.log'


def test_broken_or_silent_config_means_the_default(tmp_path):
    conf = tmp_path / 'requestshook.conf'
    conf.write_text('this is [not an ini\n')
    assert logpath.configured_log_file(str(conf), {}) == logpath.DEFAULT_LOG
    conf.write_bytes(b'[DEFAULT]\nlog_file = \xff\n')
    assert logpath.configured_log_file(str(conf), {}) == logpath.DEFAULT_LOG
    conf.write_text('[DEFAULT]\nmax_body_bytes = 10\n')
    assert logpath.configured_log_file(str(conf), {}) == logpath.DEFAULT_LOG


def test_records_fallback_is_read_when_the_configured_log_is_absent(
        tmp_path):
    env = _env(tmp_path)
    conf = tmp_path / 'requestshook.conf'
    conf.write_text('[DEFAULT]\nlog_file = %s\n' % (tmp_path / 'none.log'))
    env['REQUESTSHOOK_CONFIG'] = str(conf)
    fallback = tmp_path / 'state' / 'requestshook' / 'requestshook.log'
    assert logpath.state_log_file(env) == str(fallback)
    assert logpath.log_to_read(env) == str(tmp_path / 'none.log')
    fallback.parent.mkdir(parents=True)
    fallback.write_text('')
    assert logpath.log_to_read(env) == str(fallback)
    (tmp_path / 'none.log').write_text('')
    assert logpath.log_to_read(env) == str(tmp_path / 'none.log')
