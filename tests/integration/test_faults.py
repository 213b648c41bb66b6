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


"""Faults: the API answers as if the filter were absent.

The same application is served by gunicorn (and uwsgi, when installed)
from a paste pipeline without
requestshook and from pipelines with it, each with one fault: a log
directory that cannot be written, ``/dev/full`` as the log, a broken JSON
filters file; and, with a working log, an application that raises and a
client that goes away mid-response.  Every answer (status, reason,
headers but Date and the two echoed ones, body) must equal the plain
service's, and each fault must be reported exactly once: in the worker's
log (stderr) for requestshook's own faults, as one ``error`` event for
the application's and the client's.
"""

import http.client
import os
import socket
import textwrap

import pytest

from requestshook import event
from tests.integration import servers

APP = textwrap.dedent('''
    import json


    def factory(global_conf, **local_conf):
        def app(environ, start_response):
            path = environ['PATH_INFO']
            if path == '/raise':
                raise RuntimeError('the application broke')
            if path == '/bytes':
                # Not WSGI, but uwsgi sends a bare bytes result as it is.
                start_response('200 OK', [('Content-Type', 'text/plain')])
                return b'bare bytes'
            if path == '/echo':
                length = int(environ.get('CONTENT_LENGTH') or 0)
                data = environ['wsgi.input'].read(length)
                start_response('201 Created', [
                    ('Content-Type', 'application/json'),
                    ('X-Echo-Length', str(len(data)))])
                return [b'{"echo": ', data, b'}']
            if path == '/stream':
                start_response('200 OK', [('Content-Type', 'text/plain')])
                return (b'line %d\\n' % number for number in range(
                    int(environ.get('QUERY_STRING') or 16)))
            start_response('200 OK', [('Content-Type', 'application/json'),
                                      ('Content-Length', '2')])
            return [b'{}']
        return app
''')

CALLS = [
    ('GET', '/json', None),
    ('POST', '/echo', b'{"password": "pw", "name": "x"}'),
    ('GET', '/stream', None),
    ('HEAD', '/json', None),
    ('HEAD', '/stream', None),
    ('GET', '/raise', None),
]
REQUESTS_PER_CALL = 3
IGNORED_HEADERS = {'date'} | {name.lower() for name in event.ECHOED_HEADERS}


def fetch(service, method, path, body=None):
    connection = http.client.HTTPConnection('127.0.0.1', service.port,
                                            timeout=30)
    try:
        headers = {'Content-Type': 'application/json'} if body else {}
        connection.request(method, path, body=body, headers=headers)
        try:
            response = connection.getresponse()
        except http.client.RemoteDisconnected:
            # uwsgi's answer to an application raising before it started
            # a response: the connection is closed.
            return 'closed without a response'
        data = response.read()
        kept = [(name, value) for name, value in response.getheaders()
                if name.lower() not in IGNORED_HEADERS]
        return response.status, response.reason, kept, data
    finally:
        connection.close()


def echoed_request_id(service):
    connection = http.client.HTTPConnection('127.0.0.1', service.port,
                                            timeout=30)
    try:
        connection.request('GET', '/json')
        response = connection.getresponse()
        response.read()
        return response.getheader(event.HEADER_REQUEST_ID)
    finally:
        connection.close()


def answers(service):
    return [fetch(service, *call) for call in CALLS
            for _ in range(REQUESTS_PER_CALL)]


def requestshook_messages(service):
    return [line for line in service.stderr().splitlines()
            if line.startswith('requestshook ')]


@pytest.fixture(scope='module', params=servers.SERVERS)
def server(request):
    if request.param == 'uwsgi' and not servers.uwsgi_binary():
        pytest.skip('uwsgi is not installed')
    return request.param


@pytest.fixture(scope='module')
def folder(tmp_path_factory, server):
    path = tmp_path_factory.mktemp('faults-%s' % server)
    (path / 'fault_app.py').write_text(APP)
    return path


def _service(folder, name, config, server):
    return servers.Service(folder, name, servers.paste_ini(
        'fault_app:factory', name if config else None, config), folder,
        server=server)


@pytest.fixture(scope='module')
def plain(folder, server):
    service = _service(folder, 'plain', None, server)
    try:
        yield service.wait_ready('/json')
    finally:
        service.stop()


@pytest.fixture(scope='module')
def plain_answers(plain):
    return answers(plain)


def _unwritable_log(folder):
    if os.geteuid() == 0:
        # root writes through any mode: make the directory impossible.
        blocker = folder / 'not-a-directory'
        blocker.write_text('')
        return str(blocker / 'requestshook.log')
    locked = folder / 'locked'
    locked.mkdir(mode=0o500)
    return str(locked / 'logs' / 'requestshook.log')


def _broken_filters(folder):
    path = folder / 'broken-filters.json'
    path.write_text('{"filters": [{"from": "x", ')
    return str(folder / 'ok.log'), str(path)


def _fifo_log(folder):
    # Opening a FIFO to write waited for a reader: the service hung.
    path = folder / 'fifo.log'
    if not path.exists():
        os.mkfifo(str(path), 0o600)
    return str(path), None


def _symlinked_log(folder):
    target = folder / 'private.conf'
    target.write_text('secret\n')
    path = folder / 'symlinked.log'
    if not os.path.lexists(str(path)):
        os.symlink(str(target), str(path))
    return str(path), None


FAULTS = {
    'log-dir-unwritable': lambda folder: (_unwritable_log(folder), None),
    'log-is-a-fifo': _fifo_log,
    'log-is-a-symlink': _symlinked_log,
    'dev-full': lambda folder: ('/dev/full', None),
    'broken-filters': _broken_filters,
}


@pytest.mark.parametrize('fault', sorted(FAULTS))
def test_fault_changes_no_answer_and_is_reported_once(folder, plain_answers,
                                                      fault, server):
    log_file, filters_file = FAULTS[fault](folder)
    config = servers.write_config(folder / ('%s.conf' % fault), log_file,
                                  filters_file)
    service = _service(folder, fault, config, server)
    try:
        service.wait_ready('/json')
        assert answers(service) == plain_answers
        assert echoed_request_id(service)      # the filter is there
    finally:
        service.stop()
    messages = requestshook_messages(service)
    assert len(messages) == 1, messages
    expected = {'log-dir-unwritable': 'cannot open its log',
                'dev-full': 'a character device, not a regular file',
                'log-is-a-fifo': 'a FIFO (named pipe), not a regular file',
                'log-is-a-symlink': 'never writes through a link',
                'broken-filters': 'filters file'}[fault]
    assert expected in messages[0]


@pytest.fixture
def hooked(folder, server):
    log_file = folder / 'hooked.log'
    if log_file.exists():
        log_file.unlink()
    config = servers.write_config(folder / 'hooked.conf', log_file)
    service = _service(folder, 'hooked', config, server)
    try:
        service.wait_ready('/json')
        yield service, log_file
    finally:
        service.stop()


def test_app_raising_answers_as_without_filter(hooked, plain):
    service, log_file = hooked
    assert echoed_request_id(plain) is None
    assert echoed_request_id(service)
    assert fetch(service, 'GET', '/raise') == fetch(plain, 'GET', '/raise')
    errors = [e for e in servers.read_events(log_file, expected=2,
                                             url_part='/raise')
              if e['event'] == 'error']
    assert len(errors) == 1
    assert errors[0]['error'] == 'RuntimeError: the application broke'
    assert requestshook_messages(service) == []


def _go_away_mid_response(service, lines):
    with socket.create_connection(('127.0.0.1', service.port),
                                  timeout=30) as client:
        client.sendall(b'GET /stream?%d HTTP/1.1\r\nHost: x\r\n'
                       b'Connection: close\r\n\r\n' % lines)
        received = client.recv(4096)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          b'\x01\x00\x00\x00\x00\x00\x00\x00')
    return received


def test_client_going_away_is_one_error_and_service_goes_on(hooked, plain):
    service, log_file = hooked
    lines = 2000000
    for target in (plain, service):
        assert _go_away_mid_response(target, lines).startswith(
            b'HTTP/1.1 200 OK')
    events = servers.read_events(log_file, expected=2, url_part='/stream')
    kinds = [(e['event'], e['url'].rsplit('/', 1)[-1]) for e in events]
    assert kinds == [('request', 'stream?%d' % lines),
                     ('error', 'stream?%d' % lines)]
    assert 'client went away' in events[1]['error']
    assert events[1]['status'] == 200
    assert fetch(service, 'GET', '/stream') == fetch(plain, 'GET', '/stream')
    assert requestshook_messages(service) == []


def _fetch_or_failure(service, method, path):
    try:
        return fetch(service, method, path)
    except http.client.HTTPException as exc:
        return type(exc).__name__


def test_bare_bytes_result_answers_as_without_filter(hooked, plain):
    service, log_file = hooked
    answer = _fetch_or_failure(plain, 'GET', '/bytes')
    assert _fetch_or_failure(service, 'GET', '/bytes') == answer
    events = servers.read_events(log_file, expected=2, url_part='/bytes')
    assert [e['event'] for e in events] == ['request', 'response']
    assert events[1]['body']['data'] == 'bare bytes'
    assert requestshook_messages(service) == []
