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
import json

from requestshook.loopback import configs
from requestshook.loopback import tempest
from requestshook.loopback import tempest_checks
from requestshook.loopback import tempest_results


def test_tempest_conf_points_at_the_stack(tmp_path):
    site = configs.Site(str(tmp_path), ports={'keystone': 5123})
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(tempest.tempest_conf(site))
    assert conf['identity']['uri_v3'] == 'http://127.0.0.1:5123/v3'
    assert conf['auth']['admin_password'] == site.passwords['admin']
    assert conf['service_available']['nova'] == 'false'
    assert conf['object-storage']['reseller_admin_role'] == 'ResellerAdmin'
    conf.read_string(tempest.tempest_conf(
        site, {'image_ref': 'img', 'flavor_ref': '1'}))
    assert conf['service_available']['nova'] == 'true'
    assert conf['compute']['image_ref'] == 'img'


def test_log_check_finds_non_strict_lines_and_secrets(tmp_path):
    log = tmp_path / 'requestshook.log'
    good = json.dumps({'event': 'request', 'body': None})
    log.write_text('\n'.join([
        good, '{"size": NaN}', '{"x": "hunter2hunter2"}',
        '{"token": "gAAAAABpZ3kz-abcdefghijklmnopqrstuvwxyz0123"}',
        good]) + '\n')
    check = tempest_checks.check_log(str(log), ['hunter2hunter2', ''])
    assert check.lines == 5
    assert [number for number, _ in check.not_strict] == [2]
    assert check.secrets == [(3, 'a password of the stack'),
                             (4, 'a fernet token')]
    assert not check.ok
    assert 'hunter2' not in check.summary()
    log.write_text(good + '\n')
    assert tempest_checks.check_log(str(log), ['hunter2hunter2']).ok


class _Stack(object):
    """A stack whose daemons write while the switch settles.

    ``set_capture`` appends an event as it returns, as a daemon's periodic
    call recorded just before the processes saw the switch would; a run
    labelled in ``writes_while`` appends one during the run.
    """

    def __init__(self, log, writes_while=()):
        self.log_file = str(log)
        self.modes = []
        self.writes_while = writes_while

    def set_capture(self, enabled):
        self.modes.append(enabled)
        self.append({'event': 'request', 'side': 'client',
                     'from': 'nova-compute', 'to': 'placement',
                     'method': 'GET', 'url': 'http://p/settling'})

    def append(self, event):
        with open(self.log_file, 'a') as stream:
            stream.write(json.dumps(event) + '\n')


class _Tempest(object):
    def __init__(self, answers, stack=None):
        self.answers = answers
        self.runs = []
        self.stack = stack

    def run(self, label, regex, concurrency):
        self.runs.append((label, regex, concurrency))
        if self.stack is not None and label in self.stack.writes_while:
            self.stack.append({'event': 'response', 'side': 'server',
                               'from': 'openstack', 'to': 'glance',
                               'method': 'GET', 'url': 'http://g/v2/images',
                               'ts': '2026-11-30T00:00:00Z'})
        return self.answers[label]


def test_tests_that_differ_run_again_alone_in_both_modes(tmp_path):
    log = tmp_path / 'requestshook.log'
    log.write_text('')
    stack = _Stack(log)
    runner = _Tempest({'rerun-recording-on': {'a.test_flaky': 'passed',
                                              'a.test_real': 'failed'},
                       'rerun-recording-off': {'a.test_flaky': 'passed',
                                               'a.test_real': 'passed'}})
    on = {'a.test_flaky': 'failed', 'a.test_real': 'failed',
          'a.test_same': 'passed'}
    off = {'a.test_flaky': 'passed', 'a.test_real': 'passed',
           'a.test_same': 'passed'}
    rerun, written = tempest.settle_differences(runner, stack, on, off)
    assert rerun == ['a.test_flaky', 'a.test_real']
    assert [(label, concurrency) for label, _, concurrency in runner.runs] \
        == [('rerun-recording-on', 1), ('rerun-recording-off', 1)]
    assert stack.modes == [True, False]
    assert written.bytes == 0
    assert tempest_results.Comparison(on, off).differ == ['a.test_real']
    assert tempest.settle_differences(runner, stack, {'x': 'passed'},
                                      {'x': 'passed'}) == ([], None)


def test_what_is_written_while_the_switch_settles_is_not_counted(tmp_path):
    # A CI run failed on 5920 bytes "written while off": the size was
    # taken before the switch, so a call recorded in the seconds the
    # processes took to see it counted as written while off.
    log = tmp_path / 'requestshook.log'
    log.write_text('')
    stack = _Stack(log)
    runner = _Tempest({'recording-off': {'a.test': 'passed'}}, stack)
    results, written = tempest.run_switched_off(
        runner, stack, 'recording-off', 'a', 2)
    assert results == {'a.test': 'passed'}
    assert stack.modes == [False]
    assert written.bytes == 0 and written.strays == []


def test_what_is_written_during_the_off_run_is_counted_and_shown(tmp_path):
    log = tmp_path / 'requestshook.log'
    log.write_text('')
    stack = _Stack(log, writes_while=('recording-off',))
    runner = _Tempest({'recording-off': {'a.test': 'passed'}}, stack)
    _, written = tempest.run_switched_off(runner, stack, 'recording-off',
                                          'a', 2)
    assert written.bytes > 0 and len(written.strays) == 1
    assert written.summary().splitlines()[1:] == [
        '  2026-11-30T00:00:00Z response server: openstack -> glance GET '
        'http://g/v2/images']


def _event(kind, call_id, side='client', pid=1, url='/'):
    return json.dumps({'event': kind, 'id': call_id, 'side': side,
                       'host': 'h', 'pid': pid, 'from': 'a', 'to': 'b',
                       'method': 'GET', 'url': url, 'ts': 't'}).encode()


def test_closing_events_of_calls_opened_before_are_not_strays(tmp_path):
    # The recorder writes the closing event of a call that started
    # recording even once recording is off (an unread response's event
    # comes when it is collected): those are allowed, nothing else is.
    log = tmp_path / 'requestshook.log'
    log.write_bytes(_event('request', 'c1') + b'\n'
                    + _event('request', 'c2', side='server') + b'\n'
                    + _event('request', 'c3', pid=7) + b'\n')
    offset = log.stat().st_size
    with open(log, 'ab') as stream:
        for line in (_event('response', 'c1'),
                     _event('error', 'c2', side='server'),
                     _event('response', 'c2', side='client'),
                     _event('response', 'c3', pid=8),
                     _event('request', 'c4'),
                     _event('response', 'c4'),
                     b'\xff not json'):
            stream.write(line + b'\n')
    written = tempest_checks.written_since(str(log), offset)
    assert written.bytes == log.stat().st_size - offset
    assert len(written.finishing) == 2
    assert len(written.strays) == 5
    lines = written.summary(limit=3).splitlines()
    assert lines[0] == ('%d bytes: 2 closing events of calls opened before,'
                        ' 5 other lines' % written.bytes)
    assert lines[1] == '  t response client: a -> b GET /'
    assert lines[-1] == '  ... 2 more lines'
    assert written.summary(limit=5).splitlines()[-1] == \
        '  (not an event: 10 bytes)'
