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

"""gunicorn and uwsgi serving ``requestshook.wsgi:application`` around an
app that, like keystone, parses ``sys.argv`` when it is imported."""

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request

import pytest

from requestshook import event

TARGET = textwrap.dedent("""
    import argparse

    argparse.ArgumentParser().parse_args()  # gunicorn's -b would kill it


    def application(environ, start_response):
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [b'{"version": "v3"}']
""")


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def _get(url, deadline):
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, dict(response.headers), \
                    response.read()
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def gunicorn(tmp_path):
    (tmp_path / 'fake_keystone.py').write_text(TARGET)
    log = tmp_path / 'rh.log'
    config = tmp_path / 'rh.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\n' % log)
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('REQUESTSHOOK_')}
    env.update(PYTHONPATH=str(tmp_path),
               REQUESTSHOOK_WSGI_APP='fake_keystone:application',
               REQUESTSHOOK_SERVICE_NAME='keystone',
               REQUESTSHOOK_CONFIG=str(config))
    process = subprocess.Popen(
        [sys.executable, '-m', 'gunicorn', '-b', '127.0.0.1:%d' % port,
         '--workers', '1', 'requestshook.wsgi:application'],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield 'http://127.0.0.1:%d/v3' % port, log, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def test_gunicorn_serves_the_wrapped_app(gunicorn):
    url, log, process = gunicorn
    try:
        status, headers, body = _get(url, time.monotonic() + 60)
    except OSError:
        process.terminate()
        raise AssertionError(process.stderr.read().decode('utf-8'))
    assert status == 200 and body == b'{"version": "v3"}'
    hop_id = headers[event.HEADER_REQUEST_ID]
    deadline = time.monotonic() + 10
    while True:
        with open(str(log), 'rb') as stream:
            events = [event.decode(line) for line in stream]
        if len(events) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [(e['event'], e['side'], e['to'], e['id']) for e in events] == [
        ('request', 'server', 'keystone', hop_id),
        ('response', 'server', 'keystone', hop_id)]


UWSGI_INI = """\
[uwsgi]
http-socket = 127.0.0.1:%(port)d
module = requestshook.wsgi:application
env = REQUESTSHOOK_WSGI_APP=fake_keystone:application
env = REQUESTSHOOK_SERVICE_NAME=keystone
env = REQUESTSHOOK_CONFIG=%(config)s
pythonpath = %(folder)s
home = %(venv)s
master = true
die-on-term = true
processes = 1
lazy-apps = true
add-header = Connection: close
"""


def test_uwsgi_serves_the_wrapped_app(tmp_path):
    # The ini devstack's plugin writes for keystone, in uwsgi for real.
    venv = os.path.dirname(os.path.dirname(sys.executable))
    uwsgi = shutil.which('uwsgi', path=os.path.join(venv, 'bin') +
                         os.pathsep + os.environ.get('PATH', ''))
    if uwsgi is None:
        pytest.skip('uwsgi is not installed')
    (tmp_path / 'fake_keystone.py').write_text(TARGET)
    log = tmp_path / 'rh.log'
    config = tmp_path / 'rh.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\n' % log)
    port = _free_port()
    ini = tmp_path / 'uwsgi.ini'
    ini.write_text(UWSGI_INI % {'port': port, 'config': config,
                                'folder': tmp_path, 'venv': venv})
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('REQUESTSHOOK_')}
    process = subprocess.Popen([uwsgi, '--ini', str(ini)], env=env,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        status, headers, body = _get('http://127.0.0.1:%d/v3' % port,
                                     time.monotonic() + 60)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert status == 200 and body == b'{"version": "v3"}'
    with open(str(log), 'rb') as stream:
        events = [event.decode(line) for line in stream]
    assert [(e['event'], e['to'], e['id']) for e in events] == [
        ('request', 'keystone', headers[event.HEADER_REQUEST_ID]),
        ('response', 'keystone', headers[event.HEADER_REQUEST_ID])]
