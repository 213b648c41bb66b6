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


"""Real WSGI services for the capture tests: paste.deploy under a server.

Each service is a gunicorn (``gunicorn --paste``) or uwsgi (``uwsgi
--paste config:``, as devstack serves the APIs) process on 127.0.0.1
serving a paste.deploy file whose pipeline holds the requestshook filter
(or not, to compare), and whose application lives in a module written
into the test's folder.
"""

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request

START_TIMEOUT = 60
SERVERS = ('gunicorn', 'uwsgi')


def uwsgi_binary():
    """uwsgi next to this Python, else on PATH; None when absent."""
    here = os.path.join(os.path.dirname(sys.executable), 'uwsgi')
    return here if os.access(here, os.X_OK) else shutil.which('uwsgi')


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def paste_ini(app_factory, service_name=None, config_file=None,
              app_options=None):
    """A paste.deploy file: ``requestshook`` before the app if named."""
    lines = ['[pipeline:main]',
             'pipeline = %sapp' % ('requestshook ' if service_name else ''),
             '']
    if service_name:
        lines += ['[filter:requestshook]',
                  'paste.filter_factory = '
                  'requestshook.middleware:filter_factory',
                  'service_name = %s' % service_name]
        if config_file:
            lines.append('config_file = %s' % config_file)
        lines.append('')
    lines += ['[app:app]', 'paste.app_factory = %s' % app_factory]
    for name, value in sorted((app_options or {}).items()):
        lines.append('%s = %s' % (name, value))
    return '\n'.join(lines) + '\n'


def write_config(path, log_file, filters_file=None, extra=''):
    """A requestshook.conf for the test's own log."""
    text = '[DEFAULT]\nlog_file = %s\n' % log_file
    filters_file = filters_file or os.path.join(
        os.path.dirname(str(path)), 'no-filters.json')
    text += 'filters_file = %s\n' % filters_file
    path.write_text(text + textwrap.dedent(extra))
    return path


def clean_environment(**extra):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('REQUESTSHOOK_')}
    env.update(extra)
    return env


class Service(object):
    """One server process serving a paste file; stop() always."""

    def __init__(self, folder, name, ini_text, pythonpath, workers=1,
                 threads=1, env=None, port=None, preload=False,
                 server='gunicorn'):
        self.name = name
        self.port = port or free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.ini = folder / ('%s-paste.ini' % name)
        self.ini.write_text(ini_text)
        self.stderr_path = folder / ('%s.stderr' % name)
        self._stderr = open(str(self.stderr_path), 'wb')
        environment = clean_environment(PYTHONPATH=str(pythonpath))
        environment.update(env or {})
        if server == 'uwsgi':
            command = [
                uwsgi_binary(), '--http-socket', '127.0.0.1:%d' % self.port,
                '--paste', 'config:%s' % self.ini, '--master',
                '--processes', str(workers), '--threads', str(threads),
                '--need-app', '--die-on-term', '--home', sys.prefix,
                '--pythonpath', str(pythonpath),
                '--add-header', 'Connection: close'] + (
                    [] if preload else ['--lazy-apps'])
        else:
            command = [
                sys.executable, '-m', 'gunicorn', '--paste', str(self.ini),
                '-b', '127.0.0.1:%d' % self.port, '--workers', str(workers),
                '--threads', str(threads), '--timeout', '120',
                '--graceful-timeout', '5'] + (
                    ['--preload'] if preload else [])
        self.process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL,
            stderr=self._stderr, cwd=str(folder))

    def wait_ready(self, path='/ready'):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise AssertionError('%s exited: %s' % (self.name,
                                                        self.stderr()))
            try:
                with urllib.request.urlopen(self.url + path,
                                            timeout=2) as response:
                    response.read()
                    return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError('%s not ready: %s' % (
                        self.name, self.stderr()))
                time.sleep(0.2)

    def worker_pids(self):
        """The gunicorn worker processes (children of the arbiter)."""
        path = '/proc/%d/task/%d/children' % (self.process.pid,
                                              self.process.pid)
        with open(path) as stream:
            return [int(pid) for pid in stream.read().split()]

    def stderr(self):
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors='replace')

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()


def read_events(log_file, expected=0, timeout=10, url_part=None):
    """Events of the log (with ``url_part`` in their URL, if given).

    Waits until there are ``expected`` of them (or ``timeout`` passed).
    """
    from requestshook import event
    deadline = time.monotonic() + timeout
    while True:
        events = []
        if os.path.exists(str(log_file)):
            with open(str(log_file), 'rb') as stream:
                events = [event.decode(line) for line in stream]
        if url_part is not None:
            events = [e for e in events if url_part in e['url']]
        if len(events) >= expected or time.monotonic() > deadline:
            return events
        time.sleep(0.1)
