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

"""The stack venv: real keystone, glance and swift from PyPI, cached.

The pinned list below installed together on Python 3.11 (see
doc/source/functional.rst).  The venv lives in
``~/.cache/requestshook/stack-venv-<hash of the list>`` unless
``REQUESTSHOOK_STACK_VENV`` names another folder; this project is
installed into it (not editable, so its ``.pth`` start-up hook is there
too) and reinstalled whenever its source changes.
"""

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys

from requestshook.loopback import progress

PINNED = (
    'keystone==30.0.0',
    'glance==33.0.0',
    'glance_store==5.7.0',
    'swift==2.38.3',
    'python-swiftclient==4.11.0',
    'python-openstackclient==10.5.0',
    'openstacksdk==4.22.0',
    'keystonemiddleware==13.0.1',
    'gunicorn==27.0.1',
    'nova==34.0.0',
    'openstack-placement==16.0.0',
    'neutron==29.0.0',
    'osc-placement==4.9.1',
    'PyMySQL==1.1.2',
    'uwsgi==2.0.31',
)

ENV_VENV = 'REQUESTSHOOK_STACK_VENV'
PINNED_STAMP = '.requestshook-pinned'
PROJECT_STAMP = '.requestshook-project'
PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# Not part of what is installed: a change there needs no reinstall.
_SKIPPED_DIRS = {'.git', '.tox', '__pycache__', 'build', 'dist', '.eggs',
                 'requestshook-demo', '.pytest_cache', 'tests', 'doc',
                 'benchmarks'}


class StackVenv(object):
    """A venv holding the services, the clients and requestshook."""

    def __init__(self, path):
        self.path = path

    def bin(self, name):
        return os.path.join(self.path, 'bin', name)

    @property
    def python(self):
        return self.bin('python')

    def shipped(self, *parts):
        """A data file a wheel installed under ``<venv>/etc``."""
        return os.path.join(self.path, 'etc', *parts)


def pinned_text():
    return '\n'.join(PINNED + ('python %d.%d' % sys.version_info[:2],)) + '\n'


def default_path():
    digest = hashlib.sha256(pinned_text().encode()).hexdigest()[:12]
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.expanduser(
        '~/.cache')
    return os.path.join(cache, 'requestshook', 'stack-venv-' + digest)


def project_fingerprint(project_dir=PROJECT_DIR):
    """Changes whenever a file of the project changes."""
    digest = hashlib.sha256()
    for top, dirs, files in os.walk(project_dir):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS
                         and not d.endswith('.egg-info'))
        for name in sorted(files):
            if name.endswith(('.pyc', '.swp')):
                continue
            path = os.path.join(top, name)
            stat = os.stat(path)
            digest.update(('%s %d %d\n' % (os.path.relpath(path, project_dir),
                                           stat.st_size, stat.st_mtime_ns)
                           ).encode())
    return digest.hexdigest()


def _read(path):
    try:
        with open(path) as stamp:
            return stamp.read()
    except OSError:
        return None


def _write(path, text):
    with open(path, 'w') as stamp:
        stamp.write(text)


@contextlib.contextmanager
def _locked(path):
    """One builder at a time for one venv (demo and tests may race)."""
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _last_line_with(log_path, prefix):
    text = _read(log_path) or ''
    for line in reversed(text.splitlines()):
        if line.startswith(prefix):
            return line[:100]
    return ''


def _pip(venv, args, what, log_path):
    command = [venv.python, '-m', 'pip', 'install',
               '--disable-pip-version-check'] + list(args)
    env = dict(os.environ, SKIP_GENERATE_AUTHORS='1',
               SKIP_WRITE_GIT_CHANGELOG='1', PIP_NO_INPUT='1')
    with open(log_path, 'w') as log:
        process = subprocess.Popen(command, stdout=log,
                                   stderr=subprocess.STDOUT, env=env,
                                   cwd=PROJECT_DIR)
        status = progress.wait(
            process, what,
            detail=lambda: _last_line_with(log_path, 'Collecting'))
    if status:
        tail = ''.join((_read(log_path) or '').splitlines(True)[-30:])
        raise RuntimeError('%s failed (exit %d); %s ends with:\n%s'
                           % (what, status, log_path, tail))


def _create(venv):
    progress.say('creating the stack venv %s' % venv.path)
    shutil.rmtree(venv.path, ignore_errors=True)
    subprocess.run([sys.executable, '-m', 'venv', venv.path], check=True)
    progress.say('installing %s (a few minutes on a cold cache)'
                 % ', '.join(PINNED))
    _pip(venv, ['--upgrade', 'pip', 'setuptools', 'wheel'] + list(PINNED),
         'installing OpenStack from PyPI',
         os.path.join(venv.path, 'pip-pinned.log'))
    _write(os.path.join(venv.path, PINNED_STAMP), pinned_text())


def _install_project(venv, project_dir):
    progress.say('installing requestshook from %s into the stack venv'
                 % project_dir)
    _pip(venv, ['--no-build-isolation', '--force-reinstall', '--no-deps',
                project_dir],
         'installing requestshook',
         os.path.join(venv.path, 'pip-project.log'))
    # Its own requirements, mostly there already through OpenStack.
    _pip(venv, ['-r', os.path.join(project_dir, 'requirements.txt')],
         'installing requestshook requirements',
         os.path.join(venv.path, 'pip-project-requirements.log'))


def ensure(path=None, project_dir=PROJECT_DIR):
    """The stack venv, built or refreshed as needed."""
    if not os.path.exists(os.path.join(project_dir, 'setup.cfg')):
        raise RuntimeError('%s is not a requestshook source tree: run the '
                           'demo and the functional tests from a clone '
                           '(tox -e demo, tox -e functional)' % project_dir)
    venv = StackVenv(path or os.environ.get(ENV_VENV) or default_path())
    with _locked(venv.path):
        if _read(os.path.join(venv.path, PINNED_STAMP)) != pinned_text():
            _create(venv)
        else:
            progress.say('using the cached stack venv %s' % venv.path)
        fingerprint = project_fingerprint(project_dir)
        stamp = os.path.join(venv.path, PROJECT_STAMP)
        if _read(stamp) != fingerprint:
            _install_project(venv, project_dir)
            _write(stamp, fingerprint)
    return venv
