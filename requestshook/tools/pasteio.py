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

"""Paste files on disk: read, back up, replace; the service one stands for.

The text itself is edited by :mod:`requestshook.tools.pastefile`.
"""

import datetime
import os
import shutil
import tempfile

from requestshook.tools import pastefile

BACKUP_SUFFIX = '.requestshook.bak'

_SERVICE_BY_PROJECT = {
    'nova': 'nova-api',
    'cinder': 'cinder-api',
    'neutron': 'neutron-server',
    'glance': 'glance-api',
    'swift': 'swift-proxy-server',
    'manila': 'manila-api',
    'heat': 'heat-api',
}
# Composite names that tell the project of an ``api-paste.ini``.
_SERVICE_BY_SECTION = {
    'composite:osapi_compute': 'nova-api',
    'composite:osapi_volume': 'cinder-api',
    'composite:neutronapi_v2_0': 'neutron-server',
    'composite:osapi_share': 'manila-api',
    'composite:glance-api': 'glance-api',
    'app:proxy-server': 'swift-proxy-server',
}


def default_service_name(path, text=''):
    """The caller name a service's paste file stands for.

    ``glance-api-paste.ini`` -> ``glance-api``, swift's
    ``proxy-server.conf`` -> ``swift-proxy-server``, ``api-paste.ini``
    -> from its sections or its folder (``/etc/nova`` -> ``nova-api``,
    ``/etc/neutron`` -> ``neutron-server``).
    """
    base = os.path.basename(path)
    if base.startswith('proxy-server.conf'):
        return 'swift-proxy-server'
    stem = base.split('.', 1)[0]
    if stem.endswith('-paste') and stem != 'api-paste':
        return stem[:-len('-paste')]
    for section in pastefile.Document(text).sections:
        name = _SERVICE_BY_SECTION.get(section.name.strip())
        if name:
            return name
    project = os.path.basename(os.path.dirname(os.path.abspath(path)))
    if project in _SERVICE_BY_PROJECT:
        return _SERVICE_BY_PROJECT[project]
    if stem == 'api-paste' and project:
        return project + '-api'
    return stem


def read(path):
    with open(path, 'rb') as stream:
        return stream.read().decode('utf-8', 'surrogateescape')


def backup_path(path, exists=os.path.exists):
    """``FILE.requestshook.bak``, or a timestamped name if that is taken."""
    candidate = path + BACKUP_SUFFIX
    if not exists(candidate):
        return candidate
    stamp = datetime.datetime.now().strftime('%Y%m%d%H%M%S%f')
    return '%s.requestshook.%s.bak' % (path, stamp)


def write(path, text, backup=True):
    """Replace the file's bytes, keeping its mode and owner.

    Returns the backup's path (None without one).
    """
    path = os.path.realpath(path)
    saved = None
    if backup:
        saved = backup_path(path)
        shutil.copy2(path, saved)
    data = text.encode('utf-8', 'surrogateescape')
    status = os.stat(path)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix='.' + os.path.basename(path) + '.',
            dir=os.path.dirname(path))
    except PermissionError:
        # The folder is not ours but the file is: write it in place.
        with open(path, 'r+b') as stream:
            stream.write(data)
            stream.truncate()
        return saved
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
        os.chmod(temporary, status.st_mode & 0o7777)
        if hasattr(os, 'chown') and os.geteuid() == 0:
            os.chown(temporary, status.st_uid, status.st_gid)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return saved


def edit(path, change, backup=True):
    """Apply ``change(text) -> text`` to the file.

    Returns ``(changed, backup_path)``; an unchanged file is not written.
    """
    before = read(path)
    after = change(before)
    if after == before:
        return False, None
    return True, write(path, after, backup=backup)
