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

import errno
import json
import logging
import os
import threading

import pytest

from requestshook import event
from requestshook.recording import recorder
from requestshook.recording import settings as settings_module

TOKEN = 'gAAAAABsecret-token-value'
FILTERS = [{'from': 'glance-api', 'to': 'keystone', 'method': 'GET',
            'urls': ['/identity/{version}/limits']}]


@pytest.fixture
def paths(tmp_path):
    class Paths(object):
        config = tmp_path / 'requestshook.conf'
        filters = tmp_path / 'should_not_hook.json'
        log = tmp_path / 'log' / 'requestshook.log'
    return Paths


@pytest.fixture
def make(paths, clock):
    made = []

    def make_recorder(config_lines=(), overrides=None):
        write_config(paths, config_lines)
        made.append(recorder.Recorder(str(paths.config), overrides,
                                      clock=clock))
        return made[-1]
    yield make_recorder
    for one in made:
        one.close()


@pytest.fixture(autouse=True)
def no_cached_recorders():
    recorder.clear_recorders()
    yield
    recorder.clear_recorders()


def write_config(paths, lines):
    text = '[DEFAULT]\nlog_file = %s\nfilters_file = %s\n%s\n' % (
        paths.log, paths.filters, '\n'.join(lines))
    replace(paths.config, text)


def replace(path, text):
    # A new inode, as editors and config management write files.
    fresh = path.with_name(path.name + '.new')
    fresh.write_text(text)
    os.replace(str(fresh), str(path))


def lines_of(path):
    if not path.exists():
        return []
    return [event.decode(line) for line in path.read_bytes().splitlines()]


def errors(caplog):
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR]


def _event(headers=(('X-Auth-Token', TOKEN),), data=None):
    data = data if data is not None else {'auth': {'identity': {
        'password': {'user': {'name': 'admin', 'password': 'hunter2'}}}}}
    raw = json.dumps(data).encode()
    return event.request_event(
        event.CLIENT, event.new_id(), event.new_id(), None, 'openstack',
        'keystone', 'POST', 'http://h/identity/v3/auth/tokens',
        list(headers), event.body_record(raw, len(raw), 'application/json'))


# -- get_recorder ----------------------------------------------------------

def test_one_recorder_per_file_and_overrides(tmp_path):
    conf = str(tmp_path / 'r.conf')
    first = recorder.get_recorder(conf, {'service_name': 'a', 'x': '1'})
    assert recorder.get_recorder(conf, {'x': '1', 'service_name': 'a'}) \
        is first
    assert recorder.get_recorder(conf, {'service_name': 'b'}) is not first
    assert recorder.get_recorder(conf) is not first


def test_recorders_of_one_process_report_a_failure_once(tmp_path, caplog):
    conf = str(tmp_path / 'r.conf')
    (tmp_path / 'r.conf').write_text('[DEFAULT]\n')
    for name in ('glance-api', 'glance-registry'):
        recorder.get_recorder(conf, {'service_name': name,
                                     'log_file': '/dev/full'}).emit(_event())
    assert len(errors(caplog)) == 1


def test_overrides_of_any_type(tmp_path):
    conf = str(tmp_path / 'r.conf')
    first = recorder.get_recorder(conf, {'url_map': [':1=one'],
                                         'max_body_bytes': 0,
                                         'service_name': None})
    assert recorder.get_recorder(conf, {'max_body_bytes': 0,
                                        'service_name': None,
                                        'url_map': [':1=one']}) is first
    assert first.max_body_bytes == 0
    assert first.service_name is None
    assert first.callee_for_url('http://h:1/') == 'one'


def test_default_path_from_environment(tmp_path, monkeypatch):
    conf = tmp_path / 'env.conf'
    conf.write_text('[DEFAULT]\nservice_name = from-env\n')
    monkeypatch.setenv('REQUESTSHOOK_CONFIG', str(conf))
    found = recorder.get_recorder()
    assert found.config_file == str(conf)
    assert found.service_name == 'from-env'
    assert recorder.get_recorder(str(conf)) is found


def test_concurrent_creation_makes_one(tmp_path):
    conf = str(tmp_path / 'r.conf')
    barrier = threading.Barrier(8)
    found = []

    def get():
        barrier.wait()
        found.append(recorder.get_recorder(conf, {'service_name': 's'}))
    threads = [threading.Thread(target=get) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8
    assert len({id(one) for one in found}) == 1


# -- settings --------------------------------------------------------------

def test_defaults_without_config_file(tmp_path, clock):
    alone = recorder.Recorder(str(tmp_path / 'absent.conf'), clock=clock)
    assert alone.enabled() is True
    assert alone.service_name is None
    assert alone.max_body_bytes == 65536
    assert alone.settings == settings_module.Settings()


def test_overrides_win_over_file(make):
    made = make(['service_name = file-name', 'max_body_bytes = 10'],
                {'service_name': 'glance-api'})
    assert made.service_name == 'glance-api'
    assert made.max_body_bytes == 10


def test_enabled_follows_the_file_without_restart(make, paths, clock):
    made = make(['enabled = true'])
    assert made.enabled()
    write_config(paths, ['enabled = false'])
    assert made.enabled(), 'no re-check within the second'
    clock.advance()
    assert not made.enabled()
    write_config(paths, ['enabled = true'])
    clock.advance()
    assert made.enabled()


def test_nothing_is_read_per_call(make, paths, clock, monkeypatch):
    made = make()
    stats = []
    real = settings_module.file_signature
    monkeypatch.setattr(settings_module, 'file_signature',
                        lambda path: stats.append(path) or real(path))
    for _ in range(100):
        made.enabled()
        made.should_record('a', 'b', 'GET', '/')
        made.emit(_event())
    assert stats == []
    clock.advance()
    made.enabled()
    assert sorted(stats) == sorted([str(paths.config), str(paths.filters)])


def test_broken_config_reported_once_last_good_kept(
        make, paths, clock, caplog):
    made = make(['service_name = good', 'max_body_bytes = 100'])
    write_config(paths, ['service_name = bad', 'max_body_bytes = lots'])
    for _ in range(3):
        clock.advance()
        assert made.service_name == 'good'
        assert made.max_body_bytes == 100
    assert len(errors(caplog)) == 1
    assert str(paths.config) in errors(caplog)[0]
    write_config(paths, ['service_name = fixed'])
    clock.advance()
    assert made.service_name == 'fixed'


def _records_nothing(made, log):
    assert made.enabled() is False
    made.emit(_event())
    assert lines_of(log) == []


def _said_once(caplog, path, *words):
    said = errors(caplog)
    assert len(said) == 1, said
    assert str(path) in said[0]
    assert 'records nothing' in said[0]
    assert 'last good' not in said[0]
    for word in words:
        assert word in said[0]


def test_broken_config_at_start_records_nothing(make, paths, clock,
                                                caplog):
    # The file said "off"; broken, it must not turn into the defaults.
    made = make(['enabled = false', 'max_body_bytes = lots'])
    for _ in range(3):
        _records_nothing(made, paths.log)
        clock.advance()
    _said_once(caplog, paths.config, 'max_body_bytes')
    write_config(paths, ['enabled = true'])
    clock.advance()
    assert made.enabled()
    made.emit(_event())
    assert len(lines_of(paths.log)) == 1


def test_broken_config_at_start_keeps_filter_options(make, caplog):
    made = make(['this is not ini'],
                {'service_name': 'glance-api', 'max_body_bytes': '7',
                 'enabled': 'true'})
    assert made.service_name == 'glance-api'
    assert made.max_body_bytes == 7
    assert made.enabled() is False
    assert len(errors(caplog)) == 1


def test_vanished_config_records_nothing_until_back(make, paths, clock,
                                                    caplog):
    made = make(['service_name = x'])
    made.emit(_event())
    paths.config.unlink()
    clock.advance()
    for _ in range(3):
        made.emit(_event())
        assert made.enabled() is False
        clock.advance()
    assert len(lines_of(paths.log)) == 1
    _said_once(caplog, paths.config, 'does not exist')
    write_config(paths, ['service_name = y'])
    clock.advance()
    assert made.enabled() and made.service_name == 'y'
    made.emit(_event())
    assert len(lines_of(paths.log)) == 2
    assert any('reloaded' in r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING)


def test_missing_default_config_means_defaults(tmp_path, monkeypatch,
                                               caplog):
    monkeypatch.delenv('REQUESTSHOOK_CONFIG', raising=False)
    monkeypatch.setattr(settings_module.opts, 'DEFAULT_CONFIG_FILE',
                        str(tmp_path / 'absent.conf'))
    log = tmp_path / 'r.log'
    found = recorder.get_recorder(None, {'log_file': str(log)})
    assert found.enabled()
    found.emit(_event())
    assert len(lines_of(log)) == 1
    assert errors(caplog) == []


def test_missing_explicit_config_records_nothing(tmp_path, clock, caplog,
                                                 monkeypatch):
    conf = tmp_path / 'absent.conf'
    log = tmp_path / 'r.log'
    found = recorder.get_recorder(str(conf), {'log_file': str(log)})
    _records_nothing(found, log)
    _said_once(caplog, conf, 'does not exist')
    conf.write_text('[DEFAULT]\n')
    monkeypatch.setattr(found, '_next_check', 0.0)
    assert found.enabled()
    found.emit(_event())
    assert len(lines_of(log)) == 1


def test_missing_config_of_the_environment_records_nothing(
        tmp_path, monkeypatch, caplog):
    conf = tmp_path / 'absent.conf'
    monkeypatch.setenv('REQUESTSHOOK_CONFIG', str(conf))
    log = tmp_path / 'r.log'
    _records_nothing(recorder.get_recorder(None, {'log_file': str(log)}),
                     log)
    _said_once(caplog, conf)


def test_unreadable_explicit_config_records_nothing(tmp_path, caplog):
    conf = tmp_path / 'dir.conf'
    conf.mkdir()
    log = tmp_path / 'r.log'
    _records_nothing(recorder.get_recorder(str(conf),
                                           {'log_file': str(log)}), log)
    _said_once(caplog, conf)


def test_bad_url_map_override_skipped(make, caplog):
    made = make(['url_map = :1=one'], {'url_map': 'nonsense'})
    assert made.callee_for_url('http://h:1/') == 'one'
    assert len(errors(caplog)) == 1
    assert 'url_map' in errors(caplog)[0]


def test_bad_override_reported_once(make, clock, caplog):
    made = make([], {'max_body_bytes': 'lots'})
    assert made.max_body_bytes == 65536
    clock.advance()
    made.enabled()
    assert len(errors(caplog)) == 1
    assert 'max_body_bytes' in errors(caplog)[0]


# -- filters ---------------------------------------------------------------

def test_should_record_and_reload(make, paths, clock):
    paths.filters.write_text(json.dumps({'filters': FILTERS}))
    made = make()
    assert not made.should_record('glance-api', 'keystone', 'GET',
                                  '/identity/v3/limits')
    assert made.should_record('glance-api', 'keystone', 'GET',
                              '/identity/v3/auth/tokens')
    replace(paths.filters, json.dumps([{'urls': ['/identity/']}]))
    clock.advance()
    assert not made.should_record('nova-api', 'keystone', 'GET',
                                  '/identity/v3/auth/tokens')
    paths.filters.unlink()
    clock.advance()
    assert made.should_record('nova-api', 'keystone', 'GET', '/identity')


def test_broken_filters_reported_once_last_good_kept(
        make, paths, clock, caplog):
    paths.filters.write_text(json.dumps(FILTERS))
    made = make()
    replace(paths.filters, '{"filters": [')
    for _ in range(3):
        clock.advance()
        assert not made.should_record('glance-api', 'keystone', 'GET',
                                      '/identity/v3/limits')
    assert len(errors(caplog)) == 1
    assert str(paths.filters) in errors(caplog)[0]
    replace(paths.filters, '[]')
    clock.advance()
    assert made.should_record('glance-api', 'keystone', 'GET',
                              '/identity/v3/limits')


def test_filters_file_moved_by_config(make, paths, clock, tmp_path):
    made = make()
    other = tmp_path / 'other.json'
    other.write_text(json.dumps([{'method': 'HEAD'}]))
    write_config(paths, ['filters_file = %s' % other])
    clock.advance()
    assert not made.should_record('a', 'b', 'HEAD', '/')


# -- URL map ---------------------------------------------------------------

def test_callee_for_url(make, paths, clock):
    made = make()
    assert made.callee_for_url('http://10.0.0.5/image/v2/images') == \
        'glance-api'
    assert made.callee_for_url('http://10.0.0.5:7777/x') == '10.0.0.5:7777'
    write_config(paths, ['url_map = :7777=my-service'])
    clock.advance()
    assert made.callee_for_url('http://10.0.0.5:7777/x') == 'my-service'


# -- emit ------------------------------------------------------------------

def test_emit_writes_one_redacted_line(make, paths):
    made = make()
    original = _event()
    made.emit(original)
    written = lines_of(paths.log)
    assert len(written) == 1
    text = paths.log.read_text()
    assert TOKEN not in text and 'hunter2' not in text
    assert written[0]['headers'][0][1].startswith('{SHA256}')
    assert written[0]['body']['data']['auth']['identity']['password'][
        'user'] == {'name': 'admin', 'password': '***'}
    assert original['headers'][0][1] == TOKEN


def test_emit_when_disabled_writes_nothing(make, paths):
    made = make(['enabled = false'])
    made.emit(_event())
    assert lines_of(paths.log) == []


def test_redaction_lists_follow_config(make, paths, clock):
    made = make(['redact_headers = X-Other', 'redact_body_keys = pin'])
    made.emit(_event(headers=[('X-Other', 'v')], data={'pin': 1}))
    first = lines_of(paths.log)[0]
    assert first['headers'][0][1].startswith('{SHA256}')
    assert first['body']['data'] == {'pin': '***'}


def test_redaction_lists_reloaded_apply_to_names_seen_before(make, paths,
                                                             clock):
    # The redactor keeps what it decided per header name, key and URL:
    # a reload must not keep those decisions.
    made = make(['redact_headers = X-Other'])

    def emitted():
        one = _event(headers=[('X-Later', 'v1')], data={'later': 'v2'})
        made.emit(dict(one, url='http://h/x?later=v3'))
        return paths.log.read_text().splitlines()[-1]
    assert all(value in emitted() for value in ('v1', 'v2', 'v3'))
    write_config(paths, ['redact_headers = X-Later',
                         'redact_body_keys = later'])
    clock.advance()
    assert not any(value in emitted() for value in ('v1', 'v2', 'v3'))


def test_log_file_change_takes_effect(make, paths, clock, tmp_path):
    made = make()
    made.emit(_event())
    moved = tmp_path / 'moved.log'
    write_config(paths, ['log_file = %s' % moved])
    # the option above comes after the default one and wins
    clock.advance()
    made.emit(_event())
    assert len(lines_of(paths.log)) == 1
    assert len(lines_of(moved)) == 1


def test_emit_to_full_disk_reported_once(tmp_path, clock, caplog,
                                         monkeypatch):
    full = recorder.Recorder(str(tmp_path / 'absent.conf'),
                             {'log_file': str(tmp_path / 'r.log')},
                             clock=clock)

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, 'write', no_space)
    for _ in range(3):
        full.emit(_event())
        clock.advance()
    assert len(errors(caplog)) == 1
    assert 'ENOSPC' in errors(caplog)[0]


def test_emit_to_a_device_reported_once(tmp_path, clock, caplog):
    device = recorder.Recorder(str(tmp_path / 'absent.conf'),
                               {'log_file': '/dev/full'}, clock=clock)
    for _ in range(3):
        device.emit(_event())
        clock.advance()
    assert len(errors(caplog)) == 1
    assert '/dev/full' in errors(caplog)[0]
    assert 'not a regular file' in errors(caplog)[0]


def test_emit_to_unwritable_directory_reported_once(tmp_path, clock,
                                                    caplog):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    broken = recorder.Recorder(str(tmp_path / 'absent.conf'),
                               {'log_file': str(blocker / 'r.log')},
                               clock=clock)
    for _ in range(3):
        broken.emit(_event())
        clock.advance()
    assert len(errors(caplog)) == 1


def test_emit_never_raises(make, monkeypatch, caplog):
    made = make()

    def explode(line):
        raise RuntimeError('boom')
    monkeypatch.setattr(made._state.log, 'write', explode)
    made.emit(_event())
    made.emit(_event())
    made.emit(None)
    messages = errors(caplog)
    assert len(messages) == 2
    assert 'RuntimeError' in messages[0]


def test_should_record_and_callee_survive_internal_errors(make,
                                                          monkeypatch,
                                                          caplog):
    made = make()

    def explode(*args):
        raise RuntimeError('boom')
    monkeypatch.setattr(made._state.filters, 'drops', explode)
    monkeypatch.setattr(made._state.service_map, 'lookup', explode)
    assert made.should_record('a', 'b', 'GET', '/') is True
    assert made.callee_for_url('http://h/') == 'unknown'
    assert len(errors(caplog)) == 2


def test_settings_snapshot_is_stable(make, paths, clock):
    made = make(['service_name = one'])
    snapshot = made.settings
    write_config(paths, ['service_name = two'])
    clock.advance()
    assert made.settings.service_name == 'two'
    assert snapshot.service_name == 'one'


def test_emit_while_the_configuration_changes(make, paths, clock, caplog,
                                              tmp_path):
    made = make()
    other = tmp_path / 'other.log'
    stop = threading.Event()
    sent = []

    def emit_until_stopped():
        count = 0
        while not stop.is_set() or count < 50:
            made.emit(_event())
            count += 1
        sent.append(count)
    threads = [threading.Thread(target=emit_until_stopped)
               for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for number in range(20):
            target = other if number % 2 else paths.log
            write_config(paths, ['log_file = %s' % target,
                                 'max_body_bytes = %d' % number])
            clock.advance()
            made.enabled()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    written = lines_of(paths.log) + lines_of(other)
    assert errors(caplog) == []
    assert len(written) == sum(sent)
    assert len({line['id'] for line in written}) == len(written)


def test_emit_redacts_urls_tokens_and_bytes_headers(make, paths):
    made = make()
    console = 'http://ctl:6080/vnc_lite.html?path=%%3Ftoken%%3D%s' % TOKEN
    raw = json.dumps({'remote_console': {'url': console}}).encode()
    made.emit(event.response_event(
        event.SERVER, event.new_id(), event.new_id(), None, 'openstack',
        'nova-api', 'GET', 'http://h:8080/v1/AUTH_a/c/o?temp_url_sig=s1g',
        200, 'OK', [(b'X-Auth-Token', TOKEN.encode()),
                    ('Openstack-Auth-Receipt', 'r3ceipt'),
                    ('Location', 'http://h/o?temp_url_sig=s2g')],
        event.body_record(raw, len(raw), 'application/json'), 1.0))
    text = paths.log.read_text()
    for secret in (TOKEN, 's1g', 's2g', 'r3ceipt'):
        assert secret not in text
    assert len(lines_of(paths.log)) == 1


def test_a_thread_never_records_on_old_settings_while_another_reloads(
        make, paths, clock, monkeypatch):
    # A CI run saw keystone record one call ten seconds after recording
    # was switched off: a thread that came while another thread of its
    # worker was reloading the changed file went on with the old settings.
    made = make()
    assert made.enabled()
    reloading = threading.Event()
    go_on = threading.Event()
    real_reload = made._reload

    def slow_reload(force=False):
        reloading.set()
        go_on.wait(5)
        return real_reload(force)
    monkeypatch.setattr(made, '_reload', slow_reload)
    write_config(paths, ['enabled = false'])
    clock.advance()
    first = threading.Thread(target=made.enabled)
    first.start()
    assert reloading.wait(5)
    seen = []
    second = threading.Thread(target=lambda: seen.append(made.enabled()))
    second.start()
    second.join(0.2)
    go_on.set()
    first.join(5)
    second.join(5)
    assert seen == [False]
