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
import os
import threading

import pytest

from requestshook import event
from requestshook.reading import sample
from requestshook.reading import source
from requestshook.serve import files


def _lines():
    return sample.image_list().lines().split(b'\n')[:-1]


def _follow(path):
    generations = files.Generations()
    retired = []
    log = files.FollowedLog(str(path), generations, retired.append)
    return log, generations, retired


def test_a_line_waits_for_its_newline_and_reads_back_by_position(tmp_path):
    path = tmp_path / 'rh.log'
    lines = _lines()
    path.write_bytes(lines[0] + b'\n' + lines[1][:30])
    log, generations, _retired = _follow(path)
    first = log.poll()
    assert [line for _pos, line in first] == [lines[0] + b'\n']
    with open(path, 'ab') as stream:
        stream.write(lines[1][30:] + b'\n')
    second = log.poll()
    assert [line for _pos, line in second] == [lines[1] + b'\n']
    assert log.poll() == []
    assert log.truncated == 0
    for value, line in first + second:
        assert generations.read(value) == line
    # The second line starts where the first ended.
    assert files.split_position(second[0][0])[1] == len(lines[0]) + 1


def test_poll_reads_a_big_log_a_chunk_at_a_time(tmp_path):
    path = tmp_path / 'rh.log'
    lines = _lines()
    path.write_bytes(b''.join(line + b'\n' for line in lines))
    log, generations, _retired = _follow(path)
    got = []
    for polls in range(1, 1000):
        batch = log.poll(limit=500)
        if not batch and log.offset >= path.stat().st_size:
            break
        got += batch
    assert 3 < polls < 999
    # A line cut by the chunk's end is not taken for a truncation.
    assert log.truncated == 0
    assert [line for _pos, line in got] == [line + b'\n' for line in lines]
    assert [event.decode(generations.read(v)) for v, _line in got] == \
        [event.decode(line) for line in lines]


def test_rotation_moves_on_and_old_lines_stay_readable(tmp_path):
    path = tmp_path / 'rh.log'
    lines = _lines()
    path.write_bytes(lines[0] + b'\n')
    log, generations, retired = _follow(path)
    (old_value, _line), = log.poll()
    # logrotate: the writer finishes a line, the file moves, a new one.
    with open(path, 'ab') as stream:
        stream.write(lines[1] + b'\n')
    os.rename(path, str(path) + '.1')
    path.write_bytes(lines[2] + b'\n')
    got = log.poll()
    assert [line for _pos, line in got] == [lines[1] + b'\n']
    assert [g.number for g in retired] == [files.split_position(
        old_value)[0]]
    got = log.poll()
    assert [line for _pos, line in got] == [lines[2] + b'\n']
    new_generation = files.split_position(got[0][0])[0]
    assert new_generation != retired[0].number
    assert generations.read(old_value) == lines[0] + b'\n'
    generations.close(retired[0].number)
    assert generations.read(old_value) is None
    assert generations.read(got[0][0]) == lines[2] + b'\n'


def test_truncation_starts_over_and_marks_the_old_lines_gone(tmp_path):
    path = tmp_path / 'rh.log'
    lines = _lines()
    path.write_bytes(lines[0] + b'\n' + lines[1] + b'\n')
    log, generations, retired = _follow(path)
    assert len(log.poll()) == 2
    path.write_bytes(lines[2] + b'\n')     # copytruncate, then a write
    got = log.poll()
    assert [line for _pos, line in got] == [lines[2] + b'\n']
    assert len(retired) == 1 and not retired[0].readable
    assert log.truncated == 1


def test_gzip_file_is_read_and_read_back(tmp_path):
    path = tmp_path / 'rh.log.1.gz'
    lines = _lines()
    with gzip.open(path, 'wb') as stream:
        stream.write(b'\n'.join(lines))    # no newline at its end
    log, generations, _retired = _follow(path)
    got = []
    for _round in range(5):
        got += log.poll()
    assert [line.rstrip(b'\n') for _pos, line in got] == lines
    assert generations.read(got[-1][0]).rstrip(b'\n') == lines[-1]
    assert generations.read(got[0][0]) == lines[0] + b'\n'


def test_stdin_cannot_be_served(tmp_path):
    try:
        files.check_paths(['-'])
    except Exception as exc:
        assert 'stdin' in str(exc)
    else:
        raise AssertionError('stdin accepted')


def test_a_fifo_or_a_device_is_refused(tmp_path):
    # serve reads lines back by offset: a FIFO would block the command
    # before it says anything, /dev/zero would be read forever.
    fifo = tmp_path / 'fifo'
    os.mkfifo(str(fifo))
    for path in (str(fifo), '/dev/zero'):
        with pytest.raises(source.LogError) as raised:
            files.check_paths([path])
        assert 'not a regular file' in str(raised.value)
    link = tmp_path / 'link'
    log = tmp_path / 'rh.log'
    log.write_text('')
    link.symlink_to(log)
    files.check_paths([str(link)])


def test_a_log_replaced_by_a_fifo_is_not_waited_for(tmp_path):
    path = tmp_path / 'rh.log'
    path.write_text('')
    generations = files.Generations()
    followed = files.FollowedLog(str(path), generations)
    path.unlink()
    os.mkfifo(str(path))
    done = []
    thread = threading.Thread(target=lambda: done.append(followed.poll()),
                              daemon=True)
    thread.start()
    thread.join(5)
    try:
        assert done == [[]]
        assert followed.current is None
    finally:
        if not done:
            # Unblock the poll stuck in open().
            os.close(os.open(str(path), os.O_WRONLY | os.O_NONBLOCK))
        generations.close_all()
