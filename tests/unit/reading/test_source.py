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

import gzip
import io
import json

import pytest

from requestshook import event
from requestshook.reading import sample
from requestshook.reading import source


def _events(log_path):
    return [record for _line, record in source.LogSource([log_path])]


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_reads_every_event_in_order(tmp_path):
    log = sample.image_list()
    path = _write(tmp_path, 'a.log', log.lines())
    assert _events(path) == log.events


def test_torn_and_foreign_lines_are_counted_and_reported_once(tmp_path):
    log = sample.image_list()
    lines = log.lines().split(b'\n')
    torn = lines[1][:40]
    data = b'\n'.join([lines[0], torn, b'Traceback (most recent call last):',
                       b'', b'[1, 2]', b'{"event": "other"}'] + lines[1:])
    path = _write(tmp_path, 'a.log', data)
    reader = source.LogSource([path])
    assert [r for _l, r in reader] == log.events
    assert reader.skipped == 4
    stream = io.StringIO()
    assert reader.report_skipped(stream)
    assert stream.getvalue() == ('requestshook: skipped 4 lines that are '
                                 'not a whole event (torn or not JSON)\n')


def test_event_after_a_torn_line_on_the_same_line_is_recovered(tmp_path):
    log = sample.image_list()
    lines = log.lines().split(b'\n')
    data = b'\n'.join([lines[0][:30] + lines[1]] + lines[2:])
    reader = source.LogSource([_write(tmp_path, 'a.log', data)])
    assert [r for _l, r in reader] == log.events[1:]
    assert reader.skipped == 1


def test_no_report_without_skipped_lines(tmp_path):
    reader = source.LogSource([_write(tmp_path, 'a.log',
                                      sample.image_list().lines())])
    list(reader)
    stream = io.StringIO()
    assert not reader.report_skipped(stream)
    assert stream.getvalue() == ''


def test_gzip_rotated_log(tmp_path):
    log = sample.image_list()
    path = _write(tmp_path, 'a.log.2.gz', gzip.compress(log.lines()))
    assert _events(path) == log.events


def test_stdin(tmp_path):
    log = sample.image_list()
    reader = source.LogSource(['-'], stdin=io.BytesIO(log.lines()))
    assert list(reader.events()) == log.events


def test_two_hosts_are_merged_by_time(tmp_path):
    log = sample.image_create()
    by_host = {}
    for record in log.events:
        by_host.setdefault(record['host'], []).append(record)
    assert len(by_host) == 2
    paths = []
    for host, records in sorted(by_host.items()):
        data = b''.join(event.encode(r) for r in records)
        paths.append(_write(tmp_path, host + '.log', data))
    merged = list(source.LogSource(paths).events())
    assert [r['ts'] for r in merged] == sorted(r['ts'] for r in log.events)
    assert sorted(map(json.dumps, merged)) == sorted(
        map(json.dumps, log.events))


def test_missing_file_is_a_clear_error(tmp_path):
    reader = source.LogSource([str(tmp_path / 'nope.log')])
    with pytest.raises(source.LogError, match='no such log file: .*nope'):
        list(reader)


def test_directory_is_a_clear_error(tmp_path):
    with pytest.raises(source.LogError, match='is a directory'):
        list(source.LogSource([str(tmp_path)]))


def test_progress_reports_bytes_read(tmp_path):
    data = sample.image_create().lines()
    path = _write(tmp_path, 'a.log', data)
    calls = []
    reader = source.LogSource([path], progress=lambda d, t: calls.append(
        (d, t)))
    list(reader)
    assert calls[-1] == (len(data), len(data))


def test_progress_line_writes_over_itself():
    stream = io.StringIO()
    line = source.ProgressLine(stream)
    line(512 * 1024, 1024 * 1024)
    line.finish()
    assert stream.getvalue() == ('\rrequestshook: read 0.5 of 1.0 MiB '
                                 '(50%)\n')


def test_lines_of_the_wrong_shape_are_skipped_not_fatal(tmp_path, capsys):
    from requestshook.cmd import main
    log = sample.image_create()
    path = tmp_path / 'rh.log'
    log.write(str(path))
    clean = main.main(['flows', '--json', '--log', str(path)]), \
        capsys.readouterr().out
    hostile = [{'event': 'request', 'ts': 5, 'trace': 'a' * 32},
               {'event': 'request', 'trace': ['x'], 'id': 'c' * 32},
               {'event': 'response', 'headers': 'x', 'status': '200'}]
    with open(path, 'a') as stream:
        for record in hostile:
            stream.write(json.dumps(record) + '\n')
        stream.write('{"event": "request", "body": %s%s}\n'
                     % ('[' * 100000, ']' * 100000))
    read = source.LogSource([str(path)])
    assert list(read.events()) == log.events
    assert read.skipped == 4
    assert (main.main(['flows', '--json', '--log', str(path)]),
            capsys.readouterr().out) == clean
