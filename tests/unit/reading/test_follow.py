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

from requestshook import event
from requestshook.reading import follow
from requestshook.reading import sample


def test_reads_appended_events_and_waits_for_whole_lines(tmp_path):
    path = str(tmp_path / 'rh.log')
    lines = sample.image_list().lines().split(b'\n')[:-1]
    with open(path, 'wb') as stream:
        stream.write(lines[0] + b'\n' + lines[1][:20])
    followed = follow.FollowedFile(path)
    first = list(followed.read_events())
    assert [r['id'] for r in first] == [event.decode(lines[0])['id']]
    with open(path, 'ab') as stream:
        stream.write(lines[1][20:] + b'\n')
    assert list(followed.read_events()) == [event.decode(lines[1])]
    assert list(followed.read_events()) == []
    followed.close()


def test_rotation_is_followed(tmp_path):
    path = str(tmp_path / 'rh.log')
    lines = sample.image_list().lines().split(b'\n')[:-1]
    with open(path, 'wb') as stream:
        stream.write(lines[0] + b'\n')
    followed = follow.FollowedFile(path)
    assert len(list(followed.read_events())) == 1
    with open(path, 'ab') as stream:
        stream.write(lines[1] + b'\n')
    os.rename(path, path + '.1')
    with open(path, 'wb') as stream:
        stream.write(lines[2] + b'\n')
    got = list(followed.read_events())
    assert got == [event.decode(lines[1]), event.decode(lines[2])]
    followed.close()


def test_truncation_starts_over(tmp_path):
    path = str(tmp_path / 'rh.log')
    lines = sample.image_list().lines().split(b'\n')[:-1]
    with open(path, 'wb') as stream:
        stream.write(b'\n'.join(lines[:3]) + b'\n')
    followed = follow.FollowedFile(path)
    assert len(list(followed.read_events())) == 3
    with open(path, 'wb') as stream:
        stream.write(lines[3] + b'\n')
    assert list(followed.read_events()) == [event.decode(lines[3])]
    followed.close()


def test_big_file_starts_near_its_end(tmp_path, monkeypatch):
    monkeypatch.setattr(follow, 'TAIL_WINDOW', 4096)
    path = str(tmp_path / 'rh.log')
    data = sample.image_create().lines()
    with open(path, 'wb') as stream:
        stream.write(data)
    got = list(follow.follow([path], keep_going=False))
    assert 0 < len(got) < data.count(b'\n')
    assert got[-1] == event.decode(data.split(b'\n')[-2])


def test_follow_sleeps_when_nothing_new(tmp_path):
    path = str(tmp_path / 'rh.log')
    lines = sample.image_list().lines().split(b'\n')[:-1]
    with open(path, 'wb') as stream:
        stream.write(lines[0] + b'\n')
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        with open(path, 'ab') as stream:
            stream.write(lines[len(naps)] + b'\n')

    records = follow.follow([path], interval=0.5, sleep=sleep)
    got = [next(records) for _ in range(3)]
    records.close()
    assert [r['id'] for r in got] == [
        event.decode(x)['id'] for x in lines[:3]]
    assert naps == [0.5, 0.5]


def test_lines_of_the_wrong_shape_are_skipped(tmp_path):
    path = str(tmp_path / 'rh.log')
    lines = sample.image_list().lines().split(b'\n')[:-1]
    with open(path, 'wb') as stream:
        stream.write(b'{"event": "request", "ts": 5, "trace": ["x"]}\n')
        stream.write(b'{"event": "request", "body": ' + b'[' * 100000 +
                     b']' * 100000 + b'}\n')
        stream.write(lines[0] + b'\n')
    followed = follow.FollowedFile(path)
    assert list(followed.read_events()) == [event.decode(lines[0])]
    assert followed.skipped == 2
    followed.close()
