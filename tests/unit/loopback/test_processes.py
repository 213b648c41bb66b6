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
import sys
import time

from requestshook.loopback import processes

IGNORES_SIGTERM = ('import signal, time; '
                   'signal.signal(signal.SIGTERM, signal.SIG_IGN); '
                   'print("ready", flush=True); time.sleep(60)')


def _child(tmp_path, name, code='import time; time.sleep(60)'):
    return processes.Child(name, [sys.executable, '-c', code],
                           dict(os.environ), str(tmp_path / (name + '.log')))


def test_stop_together_stops_every_group(tmp_path):
    children = [_child(tmp_path, 'one'), _child(tmp_path, 'two')]
    started = time.monotonic()
    assert processes.stop_together(children, grace=10) == []
    assert time.monotonic() - started < 5
    for child in children:
        child.process.wait(timeout=5)
        assert not child.alive()
        assert child not in processes._running


def test_stop_together_kills_what_ignores_sigterm(tmp_path):
    stubborn = _child(tmp_path, 'stubborn', IGNORES_SIGTERM)
    deadline = time.monotonic() + 10
    while 'ready' not in processes.tail(stubborn.log_path):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert processes.stop_together([stubborn], grace=0.5) == ['stubborn']
    stubborn.process.wait(timeout=5)
    assert not stubborn.alive()
