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

"""The loopback stack's process control on real processes."""

import os
import subprocess
import sys
import time

from requestshook.loopback import processes

# A parent that forks a child, like a server master with a worker.
PARENT = '''
import os, sys, time
child = os.fork()
if child == 0:
    time.sleep(300)
    sys.exit(0)
print(child, flush=True)
time.sleep(300)
'''


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open('/proc/%d/stat' % pid) as stat:
        return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'


def _wait_for_line(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as log:
            text = log.read().strip()
        if text:
            return text
        time.sleep(0.05)
    raise AssertionError('no output in %s' % path)


def test_stop_ends_the_whole_process_group(tmp_path):
    log = str(tmp_path / 'parent.log')
    child = processes.Child('parent', [sys.executable, '-c', PARENT],
                            dict(os.environ), log)
    try:
        grandchild = int(_wait_for_line(log))
        assert _alive(child.pid) and _alive(grandchild)
        child.stop(grace=5)
        deadline = time.monotonic() + 5
        while _alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child.pid)
        assert not _alive(grandchild)
    finally:
        child.stop(grace=1)


def test_stop_all_stops_what_was_started_and_not_stopped(tmp_path):
    started = [processes.Child('sleeper-%d' % n,
                               ['sleep', '300'], dict(os.environ),
                               str(tmp_path / ('sleep%d.log' % n)))
               for n in range(2)]
    processes.stop_all()
    for child in started:
        assert child.process.wait(timeout=5) is not None


def test_a_reused_pid_is_left_alone(tmp_path):
    other = subprocess.Popen(['sleep', '300'], start_new_session=True)
    try:
        real_start = processes.start_time(other.pid)
        processes.kill_group(other.pid, real_start - 1, grace=1)
        assert other.poll() is None
        processes.kill_group(other.pid, real_start, grace=5)
        assert other.wait(timeout=5) is not None
    finally:
        other.kill()
        other.wait()


def test_run_kills_a_command_that_outlives_its_timeout(tmp_path):
    log = str(tmp_path / 'slow.log')
    pid_file = tmp_path / 'pid'
    command = ['sh', '-c', 'echo $$ > %s; exec sleep 300' % pid_file]
    try:
        processes.run(command, dict(os.environ), log, timeout=1)
    except subprocess.TimeoutExpired:
        pass
    else:
        raise AssertionError('no timeout')
    assert not _alive(int(pid_file.read_text()))
