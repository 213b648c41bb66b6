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

"""The shared log: every hooked process appends whole lines to one file.

Each line is written with one ``write()`` on an ``O_APPEND`` descriptor:
the kernel then places it at the end of the file whatever other processes
append at the same time, so lines never tear or interleave.

- Missing directories (every missing level) are created ``0750`` and the
  file ``0640`` (with ``log_group``: setgid ``2770`` and ``0660``, owned
  by that group), set with ``chmod`` after creation so the umask cannot
  widen or narrow them.
  Existing directories and files keep their modes.
- Only a regular file of the expected owner or group, reached through no
  link, in a directory that is not world-writable, is opened
  (:mod:`requestshook.recording.logfile`); anything else is refused.
- At most once a second the path is compared with the open file (device
  and inode): when logrotate moved or removed it, or something else took
  its place, the file is reopened (or refused).  A file that shrank was
  truncated in place (``copytruncate``): reported once, as it loses lines.
- After a fork the child opens its own descriptor.
- A log that cannot be opened or written is reported once (per path and
  error) through oslo.log; events are dropped meanwhile, opening is
  retried at most once a second, and the service is never disturbed.
"""

import errno
import grp
import os
import threading
import time

from requestshook.recording import logfile
from requestshook.recording import report

CHECK_INTERVAL = 1.0

DIR_MODE = 0o750
FILE_MODE = 0o640
GROUP_DIR_MODE = 0o2770
GROUP_FILE_MODE = 0o660

# Write errors after which the descriptor itself is suspect.
_REOPEN_ERRNOS = frozenset([errno.EBADF, errno.ESTALE, errno.EIO])


class SharedLog(object):
    """Appends whole lines to one file shared by many processes."""

    def __init__(self, path, log_group=None, reporter=None,
                 clock=time.monotonic, check_interval=CHECK_INTERVAL):
        self.path = path
        self.log_group = log_group or None
        self._reporter = reporter or report.Reporter()
        self._clock = clock
        self._check_interval = check_interval
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._fd = None
        self._identity = None
        self._size = 0
        self._next_check = 0.0
        self._write_failing = False
        self._closed = False

    @property
    def dir_mode(self):
        return GROUP_DIR_MODE if self.log_group else DIR_MODE

    @property
    def file_mode(self):
        return GROUP_FILE_MODE if self.log_group else FILE_MODE

    def write(self, line):
        """Append ``line`` (bytes ending in a newline).  Never raises.

        Returns True when the whole line was written.
        """
        try:
            if self._pid != os.getpid():
                self._after_fork()
            with self._lock:
                if self._closed:
                    return False
                now = self._clock()
                if now >= self._next_check:
                    self._next_check = now + self._check_interval
                    self._check()
                fd = self._fd
                if fd is None:
                    return False
                if self._write_failing:
                    return self._write(line)
                try:
                    written = os.write(fd, line)
                except OSError as exc:
                    return self._failed(exc)
                if written == len(line):
                    return True
                return self._write(line, written)
        except Exception as exc:
            self._reporter.failed(
                'write ' + self.path, type(exc).__name__,
                'requestshook failed writing its log %s (%s: %s); the '
                'service keeps running.', self.path, type(exc).__name__,
                exc)
            return False

    def close(self):
        with self._lock:
            self._closed = True
            self._close_fd()

    # Everything below runs with the lock held.

    def _after_fork(self):
        # The parent's lock may have been held by a thread that does not
        # exist here; the inherited descriptor is the parent's business.
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._reporter.after_fork()
        fd, self._fd, self._identity = self._fd, None, None
        self._next_check = 0.0
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def _close_fd(self):
        fd, self._fd, self._identity = self._fd, None, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def _check(self):
        if self._fd is not None:
            try:
                stat = os.lstat(self.path)
            except (FileNotFoundError, NotADirectoryError):
                stat = None     # gone: open (create) it again
            except OSError:
                return          # cannot tell: keep writing where we are
            if stat is not None and \
                    (stat.st_dev, stat.st_ino) == self._identity:
                self._check_truncation(stat.st_size)
                return
            self._close_fd()
        self._open()

    def _check_truncation(self, size):
        # The log only grows: smaller than it was, or than the end of our
        # last line, it was truncated in place (logrotate copytruncate).
        try:
            written_to = os.lseek(self._fd, 0, os.SEEK_CUR)
        except OSError:
            written_to = 0
        if size < max(self._size, written_to):
            self._reporter.failed(
                'truncated ' + self.path, None,
                'requestshook\'s log %s was truncated in place (logrotate '
                'copytruncate?): the events written while it was copied '
                'are lost and the copy may end in a torn line. logrotate\'s '
                'default create mode loses none.', self.path)
        self._size = size

    def _open(self):
        try:
            fd = self._open_file()
            stat = os.fstat(fd)
        except OSError as exc:
            self._reporter.failed(
                'open ' + self.path, getattr(exc, 'kind', exc.errno),
                'requestshook cannot open its log %s: %s. The service '
                'keeps running; requestshook drops its events and tries '
                'again once a second.', self.path, logfile.error_text(exc))
            return
        self._fd = fd
        self._identity = (stat.st_dev, stat.st_ino)
        self._size = stat.st_size
        self._reporter.resolved(
            'open ' + self.path,
            'requestshook opened its log %s: events are written again.',
            self.path)

    def _open_file(self):
        gid = self._group_id()
        try:
            fd, created = logfile.open_append(self.path, self.file_mode, gid)
        except FileNotFoundError:       # no directory yet
            self._make_directory()
            fd, created = logfile.open_append(self.path, self.file_mode, gid)
        if created:
            self._set_mode(fd, gid)
        return fd

    def _group_id(self):
        if not self.log_group:
            return None
        try:
            if self.log_group.isdigit():
                return int(self.log_group)
            return grp.getgrnam(self.log_group).gr_gid
        except KeyError:
            self._reporter.failed(
                'group ' + self.log_group, None,
                'requestshook log_group %s does not exist; %s keeps the '
                'group of the process.', self.log_group, self.path)
            return None

    def _make_directory(self):
        # Each missing level is made 0700 and then given its group and
        # mode, never os.makedirs's 0777 minus the umask.
        missing = []
        directory = os.path.dirname(self.path)
        while directory and not os.path.isdir(directory):
            missing.append(directory)
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        gid = self._group_id()
        for folder in reversed(missing):
            try:
                os.mkdir(folder, 0o700)
            except FileExistsError:
                if os.path.isdir(folder):
                    continue    # made meanwhile by another process
                raise
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY |
                         os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                if gid is not None:
                    self._change_group(os.fchown, fd, gid)
                os.fchmod(fd, self.dir_mode)
            finally:
                os.close(fd)

    def _set_mode(self, fd, gid):
        if gid is not None:
            self._change_group(os.fchown, fd, gid)
        os.fchmod(fd, self.file_mode)

    def _change_group(self, chown, target, gid):
        try:
            chown(target, -1, gid)
        except OSError as exc:
            self._reporter.failed(
                'group ' + str(self.log_group), exc.errno,
                'requestshook cannot give %s to group %s: %s.',
                self.path, self.log_group, logfile.error_text(exc))

    def _failed(self, exc):
        self._write_failing = True
        self._reporter.failed(
            'write ' + self.path, exc.errno,
            'requestshook cannot write its log %s: %s. The service '
            'keeps running; requestshook drops its events until the '
            'log can be written again.', self.path,
            logfile.error_text(exc))
        if exc.errno in _REOPEN_ERRNOS:
            self._close_fd()
        return False

    def _write(self, line, written=None):
        # ``written``: the bytes of the line the first write took.
        try:
            if written is None:
                written = os.write(self._fd, line)
            while written < len(line):
                # Regular files take a whole write unless the disk fills
                # up or a signal arrives; finish the line if we can.
                more = os.write(self._fd, memoryview(line)[written:])
                if more <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                written += more
        except OSError as exc:
            return self._failed(exc)
        if self._write_failing:
            self._write_failing = False
            self._reporter.resolved(
                'write ' + self.path,
                'requestshook writes its log %s again.', self.path)
        return True
