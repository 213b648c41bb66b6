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


"""Reading flows back from Redis: the pages equal those from the files."""

import json
import random
import threading
import time

import pytest

from requestshook.cmd import main
from requestshook import event
from requestshook.reading import redis_source
from requestshook.reading import sample
from requestshook.reading import source as source_module
from tests.unit.recording.sinks import conftest

redis_server = conftest.redis_server


def _fill(server, records, stream='requestshook'):
    client = server.client()
    for record in records:
        client.xadd(stream, {'event': event.encode(record)})


def _flows(tmp_path):
    log = sample.LogMaker()
    sample.image_create(log)
    sample.image_list(log)
    path = log.write(str(tmp_path / 'rh.log'))
    return log.events, path


def _run(capsys, argv):
    status = main.main(argv)
    out, err = capsys.readouterr()
    return status, out


@pytest.mark.parametrize('command', [
    ['flows'], ['flows', '--json'], ['diagram', '1', '--variables'],
    ['diagram'], ['markdown', '1'], ['log'], ['har', '1'], ['html', '1'],
    ['tail', '-n', '5'],
])
def test_pages_from_redis_equal_pages_from_files(tmp_path, capsys,
                                                 redis_server, command):
    records, path = _flows(tmp_path)
    # Sent by two processes: each keeps its order, they interleave.
    shuffled = _interleave(records)
    _fill(redis_server, shuffled)
    from_file = _run(capsys, command + ['--log', path])
    from_redis = _run(capsys, command + ['--source', redis_server.url])
    assert from_file[0] == 0
    assert from_redis == from_file


def _interleave(records):
    """Two senders' batches: each host's events keep their order."""
    first = [r for r in records if r['host'] == 'ctl1']
    second = [r for r in records if r['host'] != 'ctl1']
    out = []
    rng = random.Random(7)
    while first or second:
        take = first if (first and (not second or rng.random() < 0.5)) \
            else second
        out.extend(take[:3])
        del take[:3]
    assert out != records
    return out


def test_doc_from_redis_equals_doc_from_files(tmp_path, capsys,
                                              redis_server):
    records, path = _flows(tmp_path)
    _fill(redis_server, records)
    assert main.main(['doc', '1', '--log', path, '-o',
                      str(tmp_path / 'a')]) == 0
    assert main.main(['doc', '1', '--source', redis_server.url, '-o',
                      str(tmp_path / 'b')]) == 0
    capsys.readouterr()
    for name in ('index.md', 'diagram.md', 'body.md', 'log.md',
                 'flow.html', 'flow.har'):
        assert (tmp_path / 'a' / name).read_bytes() == \
            (tmp_path / 'b' / name).read_bytes(), name


def test_another_stream_and_pages_of_entries(redis_server, monkeypatch):
    monkeypatch.setattr(redis_source, 'PAGE', 7)
    records, _ = _flows_in_memory()
    _fill(redis_server, records, stream='other')
    read = redis_source.RedisSource(redis_server.url + '?stream=other')
    assert read.stream == 'other'
    assert [e for e in read.events()] == sorted(
        records, key=lambda record: record['ts'])


def _flows_in_memory():
    log = sample.LogMaker()
    sample.image_create(log)
    return log.events, None


def test_entries_that_are_not_events_are_skipped_and_said(
        redis_server, capsys):
    client = redis_server.client()
    client.xadd('requestshook', {'event': b'not json'})
    client.xadd('requestshook', {'other': b'x'})
    _fill(redis_server, _flows_in_memory()[0])
    read = redis_source.RedisSource(redis_server.url)
    assert len(list(read)) == len(_flows_in_memory()[0])
    assert read.report_skipped()
    assert 'skipped 2 stream entries' in capsys.readouterr().err


def test_unreachable_redis_is_a_user_error(capsys):
    port = conftest.free_port()
    status = main.main(['flows', '--source',
                        'redis://:pw@127.0.0.1:%d/0' % port])
    err = capsys.readouterr().err
    assert status == 1
    assert 'cannot read redis://:***@127.0.0.1' in err
    assert ':pw@' not in err


def test_tail_follows_with_xread_block(redis_server):
    records, _ = _flows_in_memory()
    _fill(redis_server, records[:4])
    read = redis_source.RedisSource(redis_server.url)
    recent, last = read.recent(100)
    assert recent == records[:4]
    got = []

    def later():
        time.sleep(0.3)
        _fill(redis_server, records[4:])
    thread = threading.Thread(target=later)
    thread.start()
    for record in read.follow(last):
        got.append(record)
        if len(got) == len(records) - 4:
            break
    thread.join()
    assert got == records[4:]


def test_source_needs_the_redis_package(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, 'redis', None)
    with pytest.raises(source_module.LogError) as caught:
        redis_source.RedisSource('redis://127.0.0.1:1/0').check()
    assert 'pip install redis' in str(caught.value)


def test_flows_json_names_the_same_traces(tmp_path, capsys, redis_server):
    records, path = _flows(tmp_path)
    _fill(redis_server, records)
    _, out = _run(capsys, ['flows', '--json', '--source', redis_server.url])
    traces = [json.loads(line)['trace'] for line in out.splitlines()]
    assert traces == list(dict.fromkeys(r['trace'] for r in sorted(
        records, key=lambda record: record['ts'])))


def test_entries_of_the_wrong_shape_are_skipped(redis_server, capsys):
    # Anyone able to write to Redis may add entries: a ts that is a
    # number, a trace that is a list, headers that are text, deep JSON.
    client = redis_server.client()
    records = _flows_in_memory()[0]
    hostile = [{'event': 'request', 'ts': 5, 'id': 'a' * 32},
               {'event': 'request', 'trace': ['x'], 'id': 'b' * 32},
               {'event': 'response', 'headers': 'x', 'status': '200'}]
    for number, record in enumerate(records):
        client.xadd('requestshook', {
            'event': json.dumps(hostile[number % len(hostile)])})
        client.xadd('requestshook', {'event': event.encode(record)})
    client.xadd('requestshook', {'event': '{"event": "request", "body": '
                                 + '[' * 100000 + ']' * 100000 + '}'})
    read = redis_source.RedisSource(redis_server.url)
    assert [record for _line, record in read] == \
        sorted(records, key=lambda record: record['ts'])
    assert read.skipped == len(records) + 1
    status, out = _run(capsys, ['flows', '--source', redis_server.url])
    assert status == 0 and out.count('\n') >= 1
