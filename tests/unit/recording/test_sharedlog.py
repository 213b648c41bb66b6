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

import errno
import grp
import logging
import os
import signal
import stat
import time

import pytest

from requestshook.recording import report
from requestshook.recording import sharedlog


@pytest.fixture
def make_log(clock):
    made = []

    def make(path, log_group=None):
        log = sharedlog.SharedLog(str(path), log_group,
                                  reporter=report.Reporter(), clock=clock)
        made.append(log)
        return log
    yield make
    for log in made:
        log.close()


def _wait(pid, limit=60.0):
    """The child's exit status; kill it if it hangs (a deadlock)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail('the forked child hung')


def _mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def _errors(caplog):
    return [record for record in caplog.records
            if record.levelno >= logging.ERROR]


def test_creates_directory_and_file_with_private_modes(tmp_path, make_log):
    path = tmp_path / 'a' / 'b' / 'requestshook.log'
    old = os.umask(0)
    try:
        assert make_log(path).write(b'one\n')
    finally:
        os.umask(old)
    assert path.read_bytes() == b'one\n'
    assert _mode(path.parent) == 0o750
    assert _mode(path) == 0o640


def test_every_missing_parent_is_private_under_any_umask(tmp_path,
                                                         make_log):
    path = tmp_path / 'a' / 'b' / 'c' / 'requestshook.log'
    old = os.umask(0)
    try:
        assert make_log(path).write(b'one\n')
    finally:
        os.umask(old)
    for folder in (tmp_path / 'a', tmp_path / 'a' / 'b', path.parent):
        assert _mode(folder) == 0o750, folder
    assert _mode(tmp_path) != 0o750     # what existed is left as it was


def test_every_missing_parent_gets_log_group(tmp_path, make_log):
    if os.getuid() != 0:
        pytest.skip('needs root to give folders to another group')
    path = tmp_path / 'a' / 'b' / 'requestshook.log'
    old = os.umask(0o077)
    try:
        assert make_log(path, '54321').write(b'one\n')
    finally:
        os.umask(old)
    for folder in (tmp_path / 'a', path.parent):
        assert _mode(folder) == 0o2770, folder
        assert os.stat(str(folder)).st_gid == 54321


def test_modes_hold_under_a_strict_umask(tmp_path, make_log):
    path = tmp_path / 'logs' / 'requestshook.log'
    old = os.umask(0o077)
    try:
        assert make_log(path).write(b'x\n')
    finally:
        os.umask(old)
    assert _mode(path.parent) == 0o750
    assert _mode(path) == 0o640


def test_log_group_makes_setgid_group_directory(tmp_path, make_log):
    group = grp.getgrnam('adm') if 'adm' in {
        g.gr_name for g in grp.getgrall()} else grp.getgrall()[-1]
    if os.getuid() != 0 and group.gr_gid not in os.getgroups():
        pytest.skip('needs root or membership of a second group')
    path = tmp_path / 'shared' / 'requestshook.log'
    assert make_log(path, group.gr_name).write(b'x\n')
    assert _mode(path.parent) == 0o2770
    assert _mode(path) == 0o660
    assert os.stat(str(path.parent)).st_gid == group.gr_gid
    assert os.stat(str(path)).st_gid == group.gr_gid


def test_unknown_group_reported_once_file_still_written(tmp_path, make_log,
                                                        caplog):
    path = tmp_path / 'g' / 'requestshook.log'
    log = make_log(path, 'no-such-group-requestshook')
    assert log.write(b'x\n')
    assert len(_errors(caplog)) == 1
    assert 'no-such-group-requestshook' in _errors(caplog)[0].getMessage()
    assert path.read_bytes() == b'x\n'


def test_existing_file_and_directory_keep_their_modes(tmp_path, make_log):
    path = tmp_path / 'requestshook.log'
    path.write_bytes(b'old\n')
    os.chmod(str(path), 0o600)
    os.chmod(str(tmp_path), 0o755)
    assert make_log(path).write(b'new\n')
    assert path.read_bytes() == b'old\nnew\n'
    assert _mode(path) == 0o600
    assert _mode(tmp_path) == 0o755


def test_one_write_per_line(tmp_path, make_log, monkeypatch):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    calls = []
    real_write = os.write

    def counting_write(fd, data):
        calls.append(len(data))
        return real_write(fd, data)
    monkeypatch.setattr(os, 'write', counting_write)
    line = b'{"x": "' + b'y' * 100000 + b'"}\n'
    assert log.write(line)
    assert calls == [len(line)]


def test_partial_write_is_completed(tmp_path, make_log, monkeypatch):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    real_write = os.write
    calls = []

    def short_write(fd, data):
        calls.append(len(data))
        return real_write(fd, bytes(data)[:max(1, len(data) // 2)])
    monkeypatch.setattr(os, 'write', short_write)
    assert log.write(b'0123456789\n')
    assert path.read_bytes() == b'0123456789\n'
    assert len(calls) > 1


def test_file_is_opened_append_only(tmp_path, make_log):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    log.write(b'a\n')
    path.write_bytes(b'0123456789\n')     # truncated and rewritten
    log.write(b'b\n')
    assert path.read_bytes() == b'0123456789\nb\n'


def test_reopens_after_logrotate_move(tmp_path, make_log, clock):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    assert log.write(b'before\n')
    rotated = tmp_path / 'requestshook.log.1'
    os.rename(str(path), str(rotated))
    assert log.write(b'still old\n')     # no re-check within a second
    clock.advance()
    assert log.write(b'after\n')
    assert rotated.read_bytes() == b'before\nstill old\n'
    assert path.read_bytes() == b'after\n'
    assert _mode(path) == 0o640


def test_reopens_file_logrotate_created(tmp_path, make_log, clock):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    log.write(b'before\n')
    os.rename(str(path), str(tmp_path / 'old.log'))
    path.write_bytes(b'')                 # logrotate's "create"
    clock.advance()
    log.write(b'after\n')
    assert path.read_bytes() == b'after\n'


def test_reopens_after_removal(tmp_path, make_log, clock):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    log.write(b'before\n')
    os.unlink(str(path))
    clock.advance()
    log.write(b'after\n')
    assert path.read_bytes() == b'after\n'


def test_child_after_fork_opens_its_own_descriptor(tmp_path, make_log):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    log.write(b'parent\n')
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:    # pragma: no cover - runs in the child
        status = 1
        try:
            os.close(read_end)
            opens = []
            real_open = os.open
            os.open = lambda *a, **k: opens.append(a[0]) or real_open(
                *a, **k)
            written = log.write(b'child\n')
            os.write(write_end, b'%d %d' % (
                written, opens.count('requestshook.log')))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    assert _wait(pid) == 0
    answer = os.read(read_end, 100)
    os.close(read_end)
    assert answer == b'1 1'
    assert log.write(b'parent again\n')
    assert path.read_bytes() == b'parent\nchild\nparent again\n'


def test_child_does_not_wait_for_a_lock_held_at_fork(tmp_path, make_log):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    log.write(b'parent\n')
    with log._lock:             # as if another thread were writing
        pid = os.fork()
        if pid == 0:    # pragma: no cover - runs in the child
            os._exit(0 if log.write(b'child\n') else 1)
    assert _wait(pid) == 0
    assert path.read_bytes() == b'parent\nchild\n'


def test_unwritable_directory_reported_once(tmp_path, make_log, caplog,
                                            clock):
    # Root ignores permission bits: a path below a regular file fails for
    # everyone (ENOTDIR).
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    path = blocker / 'requestshook.log'
    log = make_log(path)
    for _ in range(3):
        assert log.write(b'x\n') is False
        clock.advance()
    errors = _errors(caplog)
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert str(path) in message
    assert 'ENOTDIR' in message
    assert 'keeps running' in message


def test_directory_as_log_file_reported_once(tmp_path, make_log, caplog):
    path = tmp_path / 'is-a-dir'
    path.mkdir()
    log = make_log(path)
    assert not log.write(b'x\n')
    assert not log.write(b'x\n')
    assert len(_errors(caplog)) == 1
    assert 'EISDIR' in _errors(caplog)[0].getMessage()


@pytest.mark.skipif(os.getuid() == 0, reason='root bypasses permissions')
def test_permission_denied_reported_once(tmp_path, make_log, caplog):
    locked = tmp_path / 'locked'
    locked.mkdir(mode=0o500)
    log = make_log(locked / 'requestshook.log')
    assert not log.write(b'x\n')
    assert not log.write(b'x\n')
    assert len(_errors(caplog)) == 1
    assert 'EACCES' in _errors(caplog)[0].getMessage()


def test_open_retried_at_most_once_a_second(tmp_path, make_log, clock,
                                            monkeypatch):
    blocker = tmp_path / 'later'
    blocker.write_text('')
    log = make_log(blocker / 'requestshook.log')
    opens = []
    real_open = os.open
    monkeypatch.setattr(os, 'open',
                        lambda *a, **k: opens.append(a) or real_open(*a,
                                                                     **k))
    for _ in range(5):
        log.write(b'x\n')
    assert len(opens) <= 1
    blocker.unlink()
    clock.advance()
    assert log.write(b'y\n')
    assert (blocker / 'requestshook.log').read_bytes() == b'y\n'


def test_recovery_is_told_and_failure_reported_again(tmp_path, make_log,
                                                     caplog, clock):
    blocker = tmp_path / 'later'
    blocker.write_text('')
    log = make_log(blocker / 'requestshook.log')
    log.write(b'x\n')
    blocker.unlink()
    clock.advance()
    log.write(b'y\n')
    assert any('again' in r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING)
    (blocker / 'requestshook.log').unlink()
    blocker.rmdir()
    blocker.write_text('')
    clock.advance()
    log.write(b'z\n')
    assert len(_errors(caplog)) == 2


def test_dangling_symlink_reported_once(tmp_path, make_log, caplog, clock):
    path = tmp_path / 'requestshook.log'
    os.symlink(str(tmp_path / 'missing-dir' / 'target.log'), str(path))
    log = make_log(path)
    for _ in range(2):
        assert log.write(b'x\n') is False
        clock.advance()
    assert len(_errors(caplog)) == 1
    message = _errors(caplog)[0].getMessage()
    assert 'EEXIST' not in message
    assert 'is a symbolic link to %s' % (
        tmp_path / 'missing-dir' / 'target.log') in message
    assert 'which does not exist' in message


def test_anything_but_bytes_is_reported_not_raised(tmp_path, make_log,
                                                   caplog):
    log = make_log(tmp_path / 'requestshook.log')
    assert log.write('a str, not bytes\n') is False
    assert log.write(None) is False
    assert len(_errors(caplog)) == 1


def test_full_disk_reported_once(tmp_path, make_log, caplog, clock,
                                 monkeypatch):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, 'write', full)
    for _ in range(3):
        assert log.write(b'x\n') is False
        clock.advance()
    errors = _errors(caplog)
    assert len(errors) == 1
    assert str(path) in errors[0].getMessage()
    assert 'ENOSPC' in errors[0].getMessage()
    assert 'cannot write' in errors[0].getMessage()


def test_bad_descriptor_is_reopened(tmp_path, make_log, clock, caplog):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    log.write(b'a\n')
    os.close(log._fd)
    assert not log.write(b'lost\n')
    clock.advance()
    assert log.write(b'b\n')
    assert path.read_bytes() == b'a\nb\n'
    assert len(_errors(caplog)) == 1


def test_closed_log_writes_nothing(tmp_path, make_log):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    log.write(b'a\n')
    log.close()
    assert log.write(b'b\n') is False
    assert path.read_bytes() == b'a\n'


def test_truncation_in_place_is_reported_once(tmp_path, make_log, clock,
                                              caplog):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    assert log.write(b'a\n')
    clock.advance()
    assert log.write(b'b\n')
    assert _errors(caplog) == []
    for number in range(3):             # logrotate's copytruncate
        os.truncate(str(path), 0)
        clock.advance()
        assert log.write(b'after %d\n' % number)
        assert path.read_bytes() == b'after %d\n' % number
    errors = _errors(caplog)
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert str(path) in message
    assert 'truncated' in message and 'copytruncate' in message


def test_growing_log_is_not_taken_for_truncated(tmp_path, make_log, clock,
                                                caplog):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    other = make_log(path)
    for number in range(5):
        assert log.write(b'one %d\n' % number)
        assert other.write(b'other %d\n' % number)
        clock.advance()
    assert _errors(caplog) == []
