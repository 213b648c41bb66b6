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

"""Timestamps made now: one strftime per second, the clock's microseconds."""

import re
import time

from requestshook import event


def test_timestamp_now_is_the_clock_to_the_microsecond():
    before = time.time()
    text = event.timestamp()
    after = time.time()
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z', text)
    assert before - 1e-6 <= event.parse_timestamp(text) <= after + 1e-6


def test_timestamp_follows_the_seconds(monkeypatch):
    clock = iter([1700000000999999000, 1700000001000001000,
                  1700000001500000000])
    monkeypatch.setattr(event.time, 'time_ns', lambda: next(clock))
    assert [event.timestamp() for _ in range(3)] == [
        '2023-11-14T22:13:20.999999Z', '2023-11-14T22:13:21.000001Z',
        '2023-11-14T22:13:21.500000Z']
