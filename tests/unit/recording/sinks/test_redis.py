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


"""The redis sink against a real redis-server (Debian's).

Also the recorder sending to several sinks at once.
"""

import json
import subprocess
import sys
import time

import pytest

from requestshook import event
from requestshook import redisurl
from requestshook.recording import recorder
from requestshook.recording import report
from requestshook.recording.sinks import base
from requestshook.recording.sinks import redis as redis_sink
from tests.unit.recording.sinks import conftest
from tests.unit.recording.sinks import test_queue

TOKEN = 'gAAAAAB-very-secret-token-value'
PASSWORD = 'hunter2-not-for-logs'


def _event(n=0):
    return event.request_event(
        event.SERVER, '%032x' % (n + 1), 'a' * 32, None, 'openstack',
        'keystone', 'POST', 'http://ctl:5000/v3/auth/tokens?n=%d' % n,
        [('X-Auth-Token', TOKEN), ('Content-Type', 'application/json')],
        event.body_record(json.dumps(
            {'auth': {'password': PASSWORD}}).encode(), 40,
            'application/json'))


def entries(server, stream='requestshook'):
    return [fields[b'event'] for _id, fields in
            server.client().xrange(stream)]


def make_sink(url, logger=None, **kwargs):
    return redis_sink.RedisSink(
        url, reporter=report.Reporter(logger or test_queue.Logger()),
        **kwargs)


def test_events_are_added_to_one_stream(redis_server):
    sink = make_sink(redis_server.url, stream='rh-test')
    sent = [event.encode(_event(n)) for n in range(300)]
    for line in sent:
        assert sink.write(line)
    assert sink.flush(10)
    assert entries(redis_server, 'rh-test') == sent
    sink.close()


def test_the_stream_is_capped_approximately(redis_server):
    sink = make_sink(redis_server.url, maxlen=100, capacity=100000)
    for n in range(3000):
        sink.write(event.encode(_event(n)))
    assert sink.flush(20)
    length = redis_server.client().xlen('requestshook')
    # MAXLEN ~ trims whole stream nodes (100 entries by default).
    assert 100 <= length < 300
    assert json.loads(entries(redis_server)[-1])['url'].endswith('n=2999')
    sink.close()


def test_password_in_the_url_and_masked_in_reports(tmp_path):
    if conftest.REDIS_SERVER is None:
        pytest.skip('redis-server is not installed')
    server = conftest.RedisServer(tmp_path, password='s3cret-pw').start()
    logger = test_queue.Logger()
    try:
        sink = make_sink(server.url, logger=logger)
        sink.write(b'{"ok":1}\n')
        assert sink.flush(10)
        assert entries(server) == [b'{"ok":1}\n']
        sink.close()
        wrong = make_sink(server.url.replace('s3cret-pw', 'wrong-pw'),
                          logger=logger)
        wrong.write(b'{"ok":2}\n')
        assert test_queue.wait_until(lambda: logger.errors)
        wrong.close(wait=False)
    finally:
        server.stop()
    assert 'redis://:***@127.0.0.1' in logger.errors[0]
    assert 'wrong-pw' not in ''.join(logger.errors)
    assert 's3cret-pw' not in wrong.describe()


def test_redis_down_then_back(tmp_path):
    if conftest.REDIS_SERVER is None:
        pytest.skip('redis-server is not installed')
    pytest.importorskip('redis')
    server = conftest.RedisServer(tmp_path)
    logger = test_queue.Logger()
    sink = make_sink(server.url, logger=logger, capacity=50)
    sink.backoff_initial = 0.05
    sink.backoff_max = 0.2
    for n in range(80):
        sink.write(b'{"n":%d}\n' % n)
    assert test_queue.wait_until(lambda: len(logger.errors) == 2)
    assert 'cannot send events' in logger.errors[0] or \
        'cannot send events' in logger.errors[1]
    assert sink.dropped_total >= 29      # 50 queued, 1 batch in flight
    server.start()
    try:
        assert sink.flush(10)
        got = entries(server)
        assert got == [b'{"n":%d}\n' % n for n in range(len(got))]
        assert len(got) + sink.dropped_total == 80
        assert test_queue.wait_until(lambda: logger.warnings)
        assert ('%d were dropped' % sink.dropped_total) in \
            logger.warnings[0]
        assert len(logger.errors) == 2       # no repeat while it was down
        sink.close()
    finally:
        server.stop()


def test_sentinel_url_finds_the_master(tmp_path):
    if conftest.REDIS_SERVER is None:
        pytest.skip('redis-server is not installed')
    pytest.importorskip('redis')
    master = conftest.RedisServer(tmp_path).start()
    sentinel_port = conftest.free_port()
    config = tmp_path / 'sentinel.conf'
    config.write_text('port %d\nbind 127.0.0.1\n'
                      'sentinel monitor rhmaster 127.0.0.1 %d 1\n'
                      % (sentinel_port, master.port))
    process = subprocess.Popen(
        [conftest.REDIS_SERVER, str(config), '--sentinel'],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = 'redis+sentinel://127.0.0.1:%d/rhmaster/0' % sentinel_port
        sink = make_sink(url)
        deadline = time.monotonic() + 20
        while not entries(master) and time.monotonic() < deadline:
            sink.write(b'{"via":"sentinel"}\n')
            sink.flush(2)
            time.sleep(0.1)
        assert entries(master)[0] == b'{"via":"sentinel"}\n'
        sink.close(wait=False)
    finally:
        process.kill()
        process.wait()
        master.stop()


def test_bad_urls():
    with pytest.raises(ValueError):
        redis_sink.RedisSink('http://127.0.0.1:6379/0')
    with pytest.raises(ValueError):
        redis_sink.RedisSink('redis+sentinel://127.0.0.1:26379')


def test_missing_redis_package_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, 'redis', None)
    with pytest.raises(base.MissingDependency) as caught:
        redis_sink.RedisSink('redis://127.0.0.1:6379/0')
    assert 'pip install redis' in str(caught.value)


def test_recorder_redacts_before_every_sink(tmp_path, redis_server):
    log = tmp_path / 'rh.log'
    config = tmp_path / 'rh.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\nfilters_file = %s\n'
                      'sinks = file, %s\n' % (log, tmp_path / 'none.json',
                                              redis_server.url))
    made = recorder.Recorder(str(config))
    try:
        for n in range(5):
            made.emit(_event(n))
        assert list(made._state.sinks.values())[0].flush(10)
    finally:
        made.close()
    in_redis = entries(redis_server)
    assert in_redis == log.read_bytes().splitlines(keepends=True)
    assert len(in_redis) == 5
    text = b''.join(in_redis).decode()
    assert TOKEN not in text and PASSWORD not in text
    assert '{SHA256}' in text and '***' in text


def test_recorder_without_the_file_sink_and_with_a_bad_one(
        tmp_path, redis_server, caplog):
    log = tmp_path / 'rh.log'
    config = tmp_path / 'rh.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\nfilters_file = %s\n'
                      'sinks = %s, kafka://nowhere\n'
                      % (log, tmp_path / 'none.json', redis_server.url))
    made = recorder.Recorder(str(config), reporter=report.Reporter())
    try:
        made.emit(_event())
        assert list(made._state.sinks.values())[0].flush(10)
    finally:
        made.close()
    assert not log.exists()
    assert len(entries(redis_server)) == 1
    assert 'cannot use its sink kafka://nowhere' in caplog.text


def test_recorder_keeps_its_sinks_across_reloads(tmp_path, redis_server,
                                                 clock):
    config = tmp_path / 'rh.conf'
    text = ('[DEFAULT]\nlog_file = %s\nfilters_file = %s\nsinks = %s\n'
            % (tmp_path / 'rh.log', tmp_path / 'none.json',
               redis_server.url))
    config.write_text(text)
    made = recorder.Recorder(str(config), clock=clock)
    try:
        first = list(made._state.sinks.values())
        config.write_text(text + 'max_body_bytes = 10\n')
        clock.advance(2)
        assert made.max_body_bytes == 10
        assert list(made._state.sinks.values()) == first
        config.write_text(text + 'redis_stream = other\n')
        clock.advance(2)
        made.emit(_event())
        second = list(made._state.sinks.values())
        assert second[0] is not first[0] and first[0]._closed
        assert second[0].flush(10)
    finally:
        made.close()
    assert len(entries(redis_server, 'other')) == 1


def test_cluster_url(tmp_path):
    if conftest.REDIS_SERVER is None:
        pytest.skip('redis-server is not installed')
    pytest.importorskip('redis')
    # The cluster bus port is the port + 10000 unless given.
    node = conftest.RedisServer(tmp_path, extra=[
        '--cluster-enabled', 'yes', '--cluster-config-file',
        str(tmp_path / 'nodes.conf'), '--cluster-port',
        str(conftest.free_port())]).start()
    try:
        client = node.client()
        client.execute_command('CLUSTER', 'ADDSLOTSRANGE', 0, 16383)
        deadline = time.monotonic() + 20
        while b'cluster_state:ok' not in client.execute_command(
                'CLUSTER', 'INFO') and time.monotonic() < deadline:
            time.sleep(0.1)
        url = 'redis+cluster://127.0.0.1:%d' % node.port
        sink = make_sink(url)
        line = event.encode(_event())
        sink.write(line)
        assert sink.flush(10)
        assert entries(node) == [line]
        sink.close()
        # The reader takes the same URL.
        from requestshook.reading import redis_source
        assert list(redis_source.RedisSource(url).events()) == [
            event.decode(line)]
    finally:
        node.stop()


def test_recorders_of_one_process_share_a_sink(tmp_path, redis_server):
    config = tmp_path / 'rh.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\nfilters_file = %s\n'
                      'sinks = %s\n' % (tmp_path / 'rh.log',
                                        tmp_path / 'none.json',
                                        redis_server.url))
    api = recorder.Recorder(str(config), {'service_name': 'nova-api'})
    metadata = recorder.Recorder(str(config),
                                 {'service_name': 'nova-api-metadata'})
    shared, = api._state.sinks.values()
    assert list(metadata._state.sinks.values()) == [shared]
    api.emit(_event(1))
    metadata.emit(_event(2))
    api.close()
    api.close()                     # twice: still one user less
    assert not shared.closed
    metadata.emit(_event(3))
    assert shared.flush(10)
    metadata.close()
    assert shared.closed
    assert len(entries(redis_server)) == 3


@pytest.mark.parametrize('url, secret', [
    ('redis://h:6379/0?password=s3cret', 's3cret'),
    ('redis://u:s3cret@h:6379/0?db=1', 's3cret'),
    ('redis://h/0?sentinel_password=s3cret&stream=x', 's3cret'),
    ('rediss://u:s3cret@[::1:6379/0', 's3cret'),
    ('redis://u:s3cret@h:99999/0', 's3cret'),
])
def test_masked_urls_hold_no_password(url, secret):
    masked = redisurl.mask_url(url)
    assert secret not in masked
    assert masked.startswith(url.partition(':')[0] + '://')


def test_a_sink_url_that_does_not_parse_is_reported_masked(
        tmp_path, caplog):
    log = tmp_path / 'rh.log'
    config = tmp_path / 'rh.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\nfilters_file = %s\n'
                      'sinks = file, redis://u:s3cret@[::1:6379/0\n'
                      % (log, tmp_path / 'none.json'))
    made = recorder.Recorder(str(config), reporter=report.Reporter())
    try:
        made.emit(_event())
    finally:
        made.close()
    assert log.exists()
    assert 'cannot use its sink' in caplog.text
    assert 's3cret' not in caplog.text
