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

import sys

from requestshook.cmd import main
from requestshook.cmd import record


class _Args(object):
    log = None
    config = None


def test_choose_log_file_order(tmp_path):
    args = _Args()
    args.log = str(tmp_path / 'given.log')
    assert record.choose_log_file(args, {}) == (args.log, None)
    args.log = None
    env = {'REQUESTSHOOK_LOG_FILE': str(tmp_path / 'env.log')}
    expected = (str(tmp_path / 'env.log'), None)
    assert record.choose_log_file(args, env) == expected
    conf = tmp_path / 'rh.conf'
    conf.write_text('[DEFAULT]\nlog_file = %s\n' % (tmp_path / 'conf.log'))
    args.config = str(conf)
    assert record.choose_log_file(args, {}) == (str(tmp_path / 'conf.log'),
                                                None)


def test_unwritable_configured_log_falls_back_to_the_state_dir(tmp_path):
    blocker = tmp_path / 'a-file'
    blocker.write_text('')
    conf = tmp_path / 'rh.conf'
    conf.write_text('[DEFAULT]\nlog_file = %s/sub/dir/rh.log\n' % blocker)
    args = _Args()
    args.config = str(conf)
    env = {'XDG_STATE_HOME': str(tmp_path / 'state')}
    path, reason = record.choose_log_file(args, env)
    assert path == str(tmp_path / 'state' / 'requestshook' /
                       'requestshook.log')
    assert 'not writable' in reason


def _record(tmp_path, capfd, monkeypatch, *extra, inherited=None):
    if inherited:
        monkeypatch.setenv('REQUESTSHOOK_TRACE_ID', inherited)
    else:
        monkeypatch.delenv('REQUESTSHOOK_TRACE_ID', raising=False)
    argv = ['record', '--log', str(tmp_path / 'rh.log')] + list(extra) + [
        '--', sys.executable, '-c',
        'import os; print(os.environ["REQUESTSHOOK_TRACE_ID"])']
    status = main.main(argv)
    out = capfd.readouterr()
    return status, out.out.strip(), out.err


def test_record_makes_a_new_trace(tmp_path, capfd, monkeypatch):
    status, trace, err = _record(tmp_path, capfd, monkeypatch)
    assert status == 0
    assert len(trace) == 32
    assert 'trace %s' % trace in err


def test_record_joins_an_inherited_or_given_trace(tmp_path, capfd,
                                                  monkeypatch):
    status, trace, _ = _record(tmp_path, capfd, monkeypatch,
                               inherited='ab' * 16)
    assert (status, trace) == (0, 'ab' * 16)
    status, trace, _ = _record(tmp_path, capfd, monkeypatch,
                               '--trace-id', 'cd' * 16, inherited='ab' * 16)
    assert (status, trace) == (0, 'cd' * 16)
