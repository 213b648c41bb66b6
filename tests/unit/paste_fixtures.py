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

"""The paste files the OpenStack services really ship, fetched from PyPI.

Each file is taken from the project's wheel (glance, nova, cinder and
neutron install theirs as data files) or sdist (swift's sample proxy
config), once, and cached under ``~/.cache/requestshook/paste-fixtures``
(``REQUESTSHOOK_FIXTURE_CACHE`` overrides it).  Nothing is copied into
this repository.
"""

import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

import pytest

# project: (version, wheel or sdist, path in it, file name, folder).
# The releases REAL-STACK.md saw installing together (nova, cinder and
# neutron from the same OpenStack release).
FIXTURES = {
    'glance': ('33.0.0', 'wheel', 'data/etc/glance/glance-api-paste.ini',
               'glance-api-paste.ini', 'glance'),
    'nova': ('34.0.0', 'wheel', 'data/etc/nova/api-paste.ini',
             'api-paste.ini', 'nova'),
    'cinder': ('29.0.0', 'wheel', 'data/etc/cinder/api-paste.ini',
               'api-paste.ini', 'cinder'),
    'neutron': ('29.0.0', 'wheel', 'data/etc/neutron/api-paste.ini',
                'api-paste.ini', 'neutron'),
    'swift': ('2.38.3', 'sdist', 'etc/proxy-server.conf-sample',
              'proxy-server.conf', 'swift'),
}
PROJECTS = tuple(sorted(FIXTURES))


def cache_dir():
    return os.environ.get('REQUESTSHOOK_FIXTURE_CACHE') or os.path.join(
        os.path.expanduser('~'), '.cache', 'requestshook', 'paste-fixtures')


def cached_path(project):
    version, _, _, file_name, folder = FIXTURES[project]
    return os.path.join(cache_dir(), '%s-%s' % (project, version), folder,
                        file_name)


def _download(project, version, kind, into):
    command = [sys.executable, '-m', 'pip', 'download', '--quiet',
               '--no-deps', '--disable-pip-version-check', '--dest', into,
               '%s==%s' % (project, version)]
    if kind == 'wheel':
        command[4:4] = ['--only-binary', ':all:']
    else:
        command[4:4] = ['--no-binary', ':all:']
    result = subprocess.run(command, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=600)
    if result.returncode:
        raise RuntimeError('pip download %s==%s failed:\n%s' % (
            project, version, result.stdout.decode('utf-8', 'replace')))
    return [os.path.join(into, name) for name in os.listdir(into)]


def _extract(archive, suffix):
    if archive.endswith('.whl'):
        with zipfile.ZipFile(archive) as wheel:
            for name in wheel.namelist():
                if name.endswith('.data/' + suffix):
                    return wheel.read(name)
    else:
        with tarfile.open(archive) as sdist:
            for member in sdist.getmembers():
                if member.isfile() and member.name.endswith('/' + suffix):
                    return sdist.extractfile(member).read()
    raise LookupError('%s has no %s' % (archive, suffix))


def fetch(project):
    """The path of the project's paste file, fetched once and cached."""
    path = cached_path(project)
    if os.path.exists(path):
        return path
    version, kind, suffix, _, _ = FIXTURES[project]
    with tempfile.TemporaryDirectory() as work:
        archives = _download(project, version, kind, work)
        data = _extract(archives[0], suffix)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = path + '.%d.part' % os.getpid()
    with open(partial, 'wb') as stream:
        stream.write(data)
    os.replace(partial, path)
    return path


def copy_to(project, folder):
    """Copy the project's real paste file into ``folder``; its new path.

    The copy keeps the file's name and sits in a folder named after the
    project (``.../nova/api-paste.ini``), as under ``/etc``.
    """
    source = fetch(project)
    _, _, _, file_name, project_folder = FIXTURES[project]
    target_folder = os.path.join(str(folder), project_folder)
    os.makedirs(target_folder, exist_ok=True)
    target = os.path.join(target_folder, file_name)
    with open(source, 'rb') as stream:
        data = stream.read()
    with open(target, 'wb') as stream:
        stream.write(data)
    return target


@pytest.fixture(scope='session')
def real_paste_files():
    """``{project: path}`` of every real paste file (cached copies)."""
    try:
        return {project: fetch(project) for project in PROJECTS}
    except (RuntimeError, LookupError, OSError,
            subprocess.TimeoutExpired) as exc:
        pytest.fail('cannot fetch the real paste files from PyPI: %s' % exc)
