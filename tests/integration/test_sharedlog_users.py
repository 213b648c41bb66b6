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

"""Opening the shared log as service users do: not root, sharing a group.

Two throwaway users (uids and gids no account uses) stand for two service
users, say glance and nova, both members of a third throwaway group, the
``log_group``.  Each case forks a child that drops to one of them and
writes through :class:`SharedLog` (no exec: the interpreter may live where
those users cannot read).  One user plants what an attacker or a careless
operator would at the log path: a symbolic link to the other's private
file, a hard link, a FIFO, a file of its own; or the log directory is
world-writable.  The writer must refuse, report it once, never hang, and
leave the planted target untouched.  Root is needed to become other
users.
"""

import json
import logging
import grp
import os
import pwd
import shutil
import signal
import stat
import tempfile
import time

import pytest

from requestshook.recording import report
from requestshook.recording import sharedlog

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason='needs root to act as two other users')

LINE = b'{"event": "request"}\n'
SECRET = b'private to the service user\n'


def _free_ids(taken, count, start=61000):
    found = []
    candidate = start
    while len(found) < count:
        if candidate not in taken:
            found.append(candidate)
        candidate += 1
    return found


class Users(object):
    """Two users (``a``, ``b``) with own groups, both in ``shared``."""

    def __init__(self):
        uids = {entry.pw_uid for entry in pwd.getpwall()}
        gids = {entry.gr_gid for entry in grp.getgrall()} | {
            entry.pw_gid for entry in pwd.getpwall()}
        self.a, self.b = _free_ids(uids, 2)
        self.gid_a, self.gid_b, self.shared = _free_ids(gids, 3)

    def gid(self, uid):
        return self.gid_a if uid == self.a else self.gid_b


@pytest.fixture
def users():
    return Users()


@pytest.fixture
def base():
    # Not below pytest's tmp_path: its root-only folders stop other users.
    folder = tempfile.mkdtemp(prefix='requestshook-users-')
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _wait(pid, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def write_as(users, uid, path, log_group=None, times=3, limit=20.0):
    """Write ``times`` lines as ``uid``: (results, error messages)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:    # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read_end)
            os.setgroups([users.shared])
            os.setgid(users.gid(uid))
            os.setuid(uid)
            messages = []

            class Keep(logging.Handler):
                def emit(self, record):
                    messages.append((record.levelno, record.getMessage()))
            logger = logging.Logger('requestshook-users-test')
            logger.addHandler(Keep())
            now = [0.0]
            log = sharedlog.SharedLog(
                path, log_group, reporter=report.Reporter(logger),
                clock=lambda: now[0])
            results = []
            for _ in range(times):
                results.append(log.write(LINE))
                now[0] += 1.0
            log.close()
            errors = [text for level, text in messages
                      if level >= logging.ERROR]
            os.write(write_end, json.dumps([results, errors]).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    status = _wait(pid, limit)
    answer = b''
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        answer += chunk
    os.close(read_end)
    if status is None:
        pytest.fail('writing the log as uid %d hung' % uid)
    assert status == 0, 'the child failed (status %r)' % status
    return tuple(json.loads(answer))


def _folder(path, uid, gid, mode):
    os.makedirs(path, exist_ok=True)
    os.chown(path, uid, gid)
    os.chmod(path, mode)
    return path


def _file(path, uid, gid, mode, data=SECRET):
    with open(path, 'wb') as stream:
        stream.write(data)
    os.chown(path, uid, gid)
    os.chmod(path, mode)
    return path


def _shared_folder(users, base):
    return _folder(os.path.join(base, 'shared'), 0, users.shared, 0o2770)


def _private_file(users, base, uid):
    home = _folder(os.path.join(base, 'home-%d' % uid), uid,
                   users.gid(uid), 0o700)
    return _file(os.path.join(home, 'secret'), uid, users.gid(uid), 0o600)


# -- what must keep working -------------------------------------------------

def test_user_creates_a_private_log(users, base):
    home = _folder(os.path.join(base, 'a'), users.a, users.gid_a, 0o755)
    path = os.path.join(home, 'logs', 'requestshook.log')
    assert write_as(users, users.a, path) == ([True] * 3, [])
    info = os.stat(path)
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (users.a, 0o640)
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o750


def test_two_users_share_a_log_group_log(users, base):
    path = os.path.join(_shared_folder(users, base), 'requestshook.log')
    group = str(users.shared)
    assert write_as(users, users.a, path, group) == ([True] * 3, [])
    assert write_as(users, users.b, path, group) == ([True] * 3, [])
    with open(path, 'rb') as stream:
        assert stream.read() == LINE * 6
    info = os.stat(path)
    assert (info.st_uid, info.st_gid) == (users.a, users.shared)


# -- what must be refused -----------------------------------------------------

def _refused_once(answer, *words):
    results, errors = answer
    assert results == [False] * len(results)
    assert len(errors) == 1, errors
    for word in words:
        assert word in errors[0]
    return errors[0]


def test_symlink_to_a_private_file_is_not_followed(users, base):
    secret = _private_file(users, base, users.a)
    path = os.path.join(_shared_folder(users, base), 'requestshook.log')
    os.symlink(secret, path)
    os.lchown(path, users.b, users.shared)      # planted by user b
    message = _refused_once(
        write_as(users, users.a, path, str(users.shared)),
        'symbolic link')
    assert path in message
    with open(secret, 'rb') as stream:
        assert stream.read() == SECRET


def test_dangling_symlink_creates_nothing(users, base):
    home = _folder(os.path.join(base, 'home-a'), users.a, users.gid_a,
                   0o700)
    target = os.path.join(home, 'planted.log')
    path = os.path.join(_shared_folder(users, base), 'requestshook.log')
    os.symlink(target, path)
    _refused_once(write_as(users, users.a, path, str(users.shared)),
                  'symbolic link')
    assert not os.path.lexists(target)


def test_hard_link_to_a_private_file_is_refused(users, base):
    secret = _private_file(users, base, users.a)
    path = os.path.join(_shared_folder(users, base), 'requestshook.log')
    os.link(secret, path)
    _refused_once(write_as(users, users.a, path, str(users.shared)),
                  'link')
    with open(secret, 'rb') as stream:
        assert stream.read() == SECRET


def test_fifo_without_reader_neither_hangs_nor_is_written(users, base):
    home = _folder(os.path.join(base, 'a'), users.a, users.gid_a, 0o750)
    path = os.path.join(home, 'requestshook.log')
    os.mkfifo(path, 0o640)
    os.chown(path, users.a, users.gid_a)
    _refused_once(write_as(users, users.a, path), 'FIFO')


def test_fifo_with_a_reader_is_not_written(users, base):
    home = _folder(os.path.join(base, 'a'), users.a, users.gid_a, 0o750)
    path = os.path.join(home, 'requestshook.log')
    os.mkfifo(path, 0o640)
    os.chown(path, users.a, users.gid_a)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        _refused_once(write_as(users, users.a, path), 'FIFO')
        try:
            received = os.read(reader, 4096)
        except BlockingIOError:
            received = b''
        assert received == b''
    finally:
        os.close(reader)


@pytest.mark.parametrize('mode', [0o777, 0o1777])
def test_world_writable_directory_is_refused(users, base, mode):
    folder = _folder(os.path.join(base, 'open'), 0, 0, mode)
    path = os.path.join(folder, 'requestshook.log')
    _refused_once(write_as(users, users.a, path), 'world-writable')
    assert not os.path.lexists(path)


def test_log_planted_in_a_world_writable_directory_is_refused(users, base):
    folder = _folder(os.path.join(base, 'open'), 0, 0, 0o1777)
    path = _file(os.path.join(folder, 'requestshook.log'), users.a,
                 users.gid_a, 0o640, b'')
    _refused_once(write_as(users, users.a, path), 'world-writable')
    assert os.path.getsize(path) == 0


def test_file_of_another_owner_is_refused(users, base):
    home = _folder(os.path.join(base, 'a'), users.a, users.gid_a, 0o770)
    path = _file(os.path.join(home, 'requestshook.log'), users.b,
                 users.gid_b, 0o666, b'planted by b\n')
    _refused_once(write_as(users, users.a, path), 'owned by')
    with open(path, 'rb') as stream:
        assert stream.read() == b'planted by b\n'


def test_file_of_another_group_is_refused_with_log_group(users, base):
    path = _file(
        os.path.join(_shared_folder(users, base), 'requestshook.log'),
        users.b, users.gid_b, 0o666, b'planted by b\n')
    _refused_once(write_as(users, users.a, path, str(users.shared)),
                  'group')
    with open(path, 'rb') as stream:
        assert stream.read() == b'planted by b\n'
