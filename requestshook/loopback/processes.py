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


"""Start service processes and stop exactly those, whatever happens.

Each service runs in its own session (so its process group holds it and
whatever it forks, e.g. gunicorn workers) with its output in a log file.
What is started is remembered: :func:`stop_all` runs at exit and on
SIGTERM/SIGHUP (see :func:`stop_on_signals`), and a child that is not
detached gets SIGTERM from the kernel if this process dies first.
"""

import atexit
import ctypes
import os
import signal
import subprocess
import time

from requestshook.loopback import progress

_PR_SET_PDEATHSIG = 1
_running = []


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def start_time(pid):
    """The kernel's start time of ``pid`` (tells a reused pid apart)."""
    try:
        return int(_stat_fields(pid)[19])
    except (OSError, IndexError, ValueError):
        return None


class Child(object):
    """One started service process and its process group."""

    def __init__(self, name, argv, env, log_path, cwd=None, detach=False):
        self.name = name
        self.log_path = log_path
        with open(log_path, 'ab') as log:
            self.process = subprocess.Popen(
                argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if detach else _die_with_parent)
        self.pid = self.process.pid
        self.started = start_time(self.pid)
        _running.append(self)

    def alive(self):
        return self.process.poll() is None

    def stop(self, grace=10.0):
        """SIGTERM the group, SIGKILL what is left after ``grace``."""
        if self in _running:
            _running.remove(self)
        kill_group(self.pid, self.started, grace)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass


def stop_together(children, grace=10.0):
    """Stop several children at once: SIGTERM to all, then wait for all.

    Returns the names of those that needed SIGKILL.
    """
    signalled = []
    for child in children:
        if child in _running:
            _running.remove(child)
        leader_start = start_time(child.pid)
        if leader_start is not None and leader_start != child.started:
            continue
        try:
            os.killpg(child.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        signalled.append(child)
    deadline = time.monotonic() + grace
    while signalled and time.monotonic() < deadline:
        for child in list(signalled):
            _reap(child.pid)
            if not _group_alive(child.pid):
                signalled.remove(child)
        time.sleep(0.1)
    for child in signalled:
        kill_group(child.pid, child.started, grace=0)
    return [child.name for child in signalled]


def tail(path, lines=25):
    """The last ``lines`` of a log, for an error message."""
    try:
        with open(path, errors='replace') as log:
            return ''.join(log.readlines()[-lines:])
    except OSError:
        return ''


def _stat_fields(pid):
    """``/proc/PID/stat`` after the command name: state is [0], pgid [2]."""
    with open('/proc/%s/stat' % pid) as stat:
        return stat.read().rsplit(')', 1)[1].split()


def _group_alive(pgid):
    """Whether a process of the group still runs.

    Zombies do not count: a detached stack's processes are reaped by
    init, in its own time.
    """
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            fields = _stat_fields(entry)
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ('Z', 'X'):
            return True
    return False


def kill_group(pid, started, grace=10.0):
    """Stop the process group led by ``pid`` if it is still that process.

    ``started`` (from :func:`start_time`) guards against a reused pid: a
    group whose leader is gone is still signalled, as its members
    (workers) may outlive it.
    """
    leader_start = start_time(pid)
    if leader_start is not None and leader_start != started:
        return
    if not _group_alive(pid):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not _group_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_all():
    """Stop every child still running, newest first."""
    for child in reversed(list(_running)):
        progress.say('stopping %s (pid %d)' % (child.name, child.pid))
        child.stop()


def forget(children):
    """Leave ``children`` running at exit (a detached stack)."""
    for child in children:
        if child in _running:
            _running.remove(child)


def run(argv, env, log_path, timeout, cwd=None):
    """Run a short command to its end; its own group is killed on timeout.

    Returns the exit status.
    """
    with open(log_path, 'ab') as log:
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return process.wait(timeout=timeout)
        except BaseException:
            kill_group(process.pid, start_time(process.pid), grace=2.0)
            process.wait()
            raise


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def stop_on_signals():
    """Turn SIGTERM and SIGHUP into SystemExit so cleanup code runs."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)


atexit.register(stop_all)
