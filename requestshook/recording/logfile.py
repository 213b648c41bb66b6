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

"""Open the shared log without being led to write anywhere else.

Other users may share the log's directory (``log_group``), so whatever is
at the log path may have been put there by one of them.  The log is
opened only when:

- its directory is not world-writable (anybody could plant a file there);
- the path itself is not a symbolic link (``O_NOFOLLOW``);
- opening never waits (``O_NONBLOCK``: a FIFO would wait for a reader);
- it is a regular file with one name (no hard link to someone's file);
- it belongs to ``log_group`` when one is set, else to the process's own
  user or to root.

Checks are made on the opened descriptors (``fstat``), so the path cannot
be swapped between the check and the writing.
"""

import errno
import fcntl
import grp
import os
import pwd
import stat

# O_NONBLOCK: opening a FIFO to write waits for a reader, forever; with it
# the open fails (ENXIO) or returns at once.  Cleared again after checks.
OPEN_FLAGS = (os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW |
              os.O_NONBLOCK | os.O_NOCTTY)


class Refused(OSError):
    """What is at the log path is not a log requestshook may write."""

    def __init__(self, kind, text):
        super(Refused, self).__init__(text)
        self.kind = kind


def error_text(exc):
    """``exc`` as the log's fault reports say it."""
    if isinstance(exc, Refused):
        return str(exc)
    name = errno.errorcode.get(exc.errno, 'error') if exc.errno else 'error'
    return '%s (%s)' % (exc.strerror or exc, name)


_KINDS = [
    (stat.S_ISDIR, 'a directory'),
    (stat.S_ISFIFO, 'a FIFO (named pipe)'),
    (stat.S_ISSOCK, 'a socket'),
    (stat.S_ISCHR, 'a character device'),
    (stat.S_ISBLK, 'a block device'),
]


def kind_of(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return 'not a regular file'


def describe_link(path):
    """``"is a symbolic link to X"`` (and whether X exists), or None."""
    try:
        if not stat.S_ISLNK(os.lstat(path).st_mode):
            return None
        target = os.readlink(path)
    except OSError:
        return None
    text = 'is a symbolic link to %s' % target
    if not os.path.exists(path):
        text += ', which does not exist'
    return text


def _link_refused(path):
    what = describe_link(path)
    if what is None:
        return None
    return Refused('link', 'it %s; requestshook never writes through a '
                           'link' % what)


def _type_refused(path):
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    return Refused('type', 'it is %s, not a regular file' % kind_of(mode))


def _user_name(uid):
    try:
        return '%s (uid %d)' % (pwd.getpwuid(uid).pw_name, uid)
    except KeyError:
        return 'uid %d' % uid


def _group_name(gid):
    try:
        return '%s (gid %d)' % (grp.getgrgid(gid).gr_name, gid)
    except KeyError:
        return 'gid %d' % gid


def check_directory(dir_fd, directory):
    """Refuse a world-writable directory."""
    info = os.fstat(dir_fd)
    if info.st_mode & stat.S_IWOTH:
        raise Refused(
            'world-writable',
            'its directory %s is world-writable (mode %04o): any local '
            'user could put a link or a file of their own there. Give it '
            'mode 0750, or 2770 with log_group' % (
                directory, stat.S_IMODE(info.st_mode)))


def check_file(fd, gid):
    """Refuse what is not a regular file of the expected owner or group.

    ``gid`` is ``log_group``'s id: the file must belong to that group
    (any of the services sharing it may have created it).  Without one,
    the file must belong to this process's user or to root.
    """
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise Refused('type', 'it is %s, not a regular file'
                      % kind_of(info.st_mode))
    if info.st_nlink > 1:
        raise Refused('hard link', 'it has %d hard links; requestshook '
                      'never writes through a link' % info.st_nlink)
    if gid is not None:
        if info.st_gid != gid:
            raise Refused('group', 'it belongs to group %s, not to '
                          'log_group %s' % (_group_name(info.st_gid),
                                            _group_name(gid)))
    elif info.st_uid not in (os.geteuid(), 0):
        raise Refused('owner', 'it is owned by %s, not by %s (this '
                      'process) or root; set log_group for a log shared '
                      'by several users' % (_user_name(info.st_uid),
                                            _user_name(os.geteuid())))


def _set_blocking(fd):
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)


def open_append(path, create_mode, gid):
    """``(fd, created)``: ``path`` opened to append, created if missing.

    Raises :class:`Refused` (or the ``OSError`` of the failed call) when
    it cannot or must not be written.  A file created here is the
    caller's to give its group and mode.
    """
    directory, name = os.path.split(path)
    directory = directory or '.'
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        check_directory(dir_fd, directory)
        for attempt in range(3):
            try:
                fd = os.open(name, OPEN_FLAGS, dir_fd=dir_fd)
            except FileNotFoundError:
                pass
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise _link_refused(path) or exc
                if exc.errno == errno.ENXIO:    # a FIFO with no reader
                    raise _type_refused(path) or exc
                raise
            else:
                try:
                    check_file(fd, gid)
                    _set_blocking(fd)
                except BaseException:
                    os.close(fd)
                    raise
                return fd, False
            try:
                fd = os.open(name, OPEN_FLAGS | os.O_CREAT | os.O_EXCL,
                             create_mode, dir_fd=dir_fd)
            except FileExistsError as exc:
                # Created meanwhile by another process; or a dangling
                # symbolic link, which the next attempts will not fix.
                if attempt == 2:
                    raise _link_refused(path) or exc
                continue
            _set_blocking(fd)
            return fd, True
    finally:
        os.close(dir_fd)
