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

"""What the shared log refuses to open, seen through SharedLog.

tests/integration/test_sharedlog_users.py does the same as two non-root
users sharing a group.
"""

import errno
import fcntl
import logging
import os
import signal
import time

import pytest

from requestshook.recording import logfile
from requestshook.recording import report
from requestshook.recording import sharedlog

OTHER_UID = 54321
OTHER_GID = 54321
needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason='needs root to give files away')


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


def _errors(caplog):
    return [record.getMessage() for record in caplog.records
            if record.levelno >= logging.ERROR]


def _refused_once(log, clock, caplog, *words):
    for _ in range(3):
        assert log.write(b'x\n') is False
        clock.advance()
    errors = _errors(caplog)
    assert len(errors) == 1, errors
    for word in words:
        assert word in errors[0]
    return errors[0]


def test_symlink_to_a_file_is_not_followed(tmp_path, make_log, clock,
                                           caplog):
    target = tmp_path / 'private'
    target.write_bytes(b'secret\n')
    path = tmp_path / 'requestshook.log'
    os.symlink(str(target), str(path))
    message = _refused_once(make_log(path), clock, caplog,
                            'is a symbolic link to %s' % target,
                            'never writes through a link')
    assert 'which does not exist' not in message
    assert target.read_bytes() == b'secret\n'


def test_log_replaced_by_a_symlink_is_left(tmp_path, make_log, clock,
                                           caplog):
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    assert log.write(b'a\n')
    target = tmp_path / 'private'
    target.write_bytes(b'secret\n')
    os.rename(str(path), str(tmp_path / 'old.log'))
    os.symlink(str(target), str(path))
    clock.advance()
    assert not log.write(b'b\n')
    assert target.read_bytes() == b'secret\n'
    assert (tmp_path / 'old.log').read_bytes() == b'a\n'
    assert len(_errors(caplog)) == 1


def test_symlink_to_the_log_itself_is_left(tmp_path, make_log, clock):
    # Even a link to the very file written so far: the path is a link.
    path = tmp_path / 'requestshook.log'
    log = make_log(path)
    assert log.write(b'a\n')
    real = tmp_path / 'real.log'
    os.rename(str(path), str(real))
    os.symlink(str(real), str(path))
    clock.advance()
    assert not log.write(b'b\n')
    assert real.read_bytes() == b'a\n'


def test_hard_link_is_refused(tmp_path, make_log, clock, caplog):
    target = tmp_path / 'private'
    target.write_bytes(b'secret\n')
    path = tmp_path / 'requestshook.log'
    os.link(str(target), str(path))
    _refused_once(make_log(path), clock, caplog, '2 hard links')
    assert target.read_bytes() == b'secret\n'


@pytest.mark.parametrize('mode', [0o777, 0o1777, 0o773])
def test_world_writable_directory_is_refused_once(tmp_path, make_log,
                                                  clock, caplog, mode):
    folder = tmp_path / 'open'
    folder.mkdir()
    os.chmod(str(folder), mode)
    path = folder / 'requestshook.log'
    log = make_log(path)
    _refused_once(log, clock, caplog, str(folder), 'world-writable',
                  '%04o' % mode)
    assert not path.exists()
    os.chmod(str(folder), 0o750)
    assert log.write(b'y\n')
    assert path.read_bytes() == b'y\n'
    assert any('again' in record.getMessage()
               for record in caplog.records
               if record.levelno == logging.WARNING)


def test_existing_log_in_a_world_writable_directory_is_refused(
        tmp_path, make_log, clock, caplog):
    folder = tmp_path / 'open'
    folder.mkdir()
    path = folder / 'requestshook.log'
    path.write_bytes(b'')
    os.chmod(str(folder), 0o1777)
    _refused_once(make_log(path), clock, caplog, 'world-writable')
    assert path.read_bytes() == b''


def test_character_device_is_refused(make_log, clock, caplog):
    _refused_once(make_log('/dev/null'), clock, caplog,
                  '/dev/null', 'a character device, not a regular file')


@needs_root
def test_file_of_another_user_is_refused(tmp_path, make_log, clock,
                                         caplog):
    path = tmp_path / 'requestshook.log'
    path.write_bytes(b'planted\n')
    os.chown(str(path), OTHER_UID, OTHER_GID)
    _refused_once(make_log(path), clock, caplog,
                  'owned by uid %d' % OTHER_UID, 'log_group')
    assert path.read_bytes() == b'planted\n'


@needs_root
def test_log_group_file_of_another_group_is_refused(tmp_path, make_log,
                                                    clock, caplog):
    path = tmp_path / 'requestshook.log'
    path.write_bytes(b'planted\n')
    os.chown(str(path), OTHER_UID, OTHER_GID)
    _refused_once(make_log(path, str(OTHER_GID + 1)), clock, caplog,
                  'group gid %d' % OTHER_GID)
    assert path.read_bytes() == b'planted\n'


@needs_root
def test_log_group_file_of_another_member_is_written(tmp_path, make_log):
    path = tmp_path / 'requestshook.log'
    path.write_bytes(b'')
    os.chown(str(path), OTHER_UID, OTHER_GID)
    assert make_log(path, str(OTHER_GID)).write(b'x\n')
    assert path.read_bytes() == b'x\n'


def test_file_created_here_is_written(tmp_path):
    fd, created = logfile.open_append(str(tmp_path / 'new.log'), 0o640,
                                      None)
    try:
        assert created
        os.write(fd, b'x\n')
    finally:
        os.close(fd)
    fd, created = logfile.open_append(str(tmp_path / 'new.log'), 0o640,
                                      None)
    os.close(fd)
    assert not created


def test_error_text_names_the_error():
    text = logfile.error_text(OSError(errno.ENOSPC, 'No space'))
    assert text == 'No space (ENOSPC)'
    assert logfile.error_text(logfile.Refused('owner', 'why')) == 'why'


def _in_child(action, limit=10.0):
    """Run ``action`` in a forked child: its exit code, None if it hung."""
    pid = os.fork()
    if pid == 0:    # pragma: no cover - runs in the child
        code = 2
        try:
            code = action()
        finally:
            os._exit(code)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_fifo_without_reader_is_refused_at_once(tmp_path):
    path = tmp_path / 'requestshook.log'
    os.mkfifo(str(path), 0o640)

    def write():
        messages = []
        logger = logging.Logger('fifo-test')
        logger.addHandler(logging.Handler())
        logger.handlers[0].emit = lambda record: messages.append(
            record.getMessage())
        log = sharedlog.SharedLog(str(path),
                                  reporter=report.Reporter(logger))
        if log.write(b'x\n') is not False or len(messages) != 1:
            return 1
        return 0 if 'a FIFO (named pipe)' in messages[0] else 3
    assert _in_child(write) == 0


def test_fifo_with_a_reader_is_refused(tmp_path, make_log, clock, caplog):
    path = tmp_path / 'requestshook.log'
    os.mkfifo(str(path), 0o640)
    reader = os.open(str(path), os.O_RDONLY | os.O_NONBLOCK)
    try:
        _refused_once(make_log(path), clock, caplog, 'a FIFO (named pipe)')
        assert os.read(reader, 10) == b''   # no writer left, nothing sent
    finally:
        os.close(reader)


def test_descriptor_is_left_blocking(tmp_path):
    fd, _ = logfile.open_append(str(tmp_path / 'new.log'), 0o640, None)
    try:
        assert not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK
    finally:
        os.close(fd)
