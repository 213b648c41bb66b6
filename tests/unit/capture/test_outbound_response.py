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


"""Header pairs read from storage, and responses still unread at exit."""

import http.server
import io
import subprocess
import sys
import textwrap
import threading
import types

import pytest
import requests.structures
import urllib3

from requestshook.capture import outbound  # noqa: F401 (knows the types)
from requestshook.capture import outbound_response
from requestshook import event


def _by_items(headers):
    return [(outbound_response._text(name), outbound_response._text(value))
            for name, value in headers.items()]


@pytest.fixture
def known_types(monkeypatch):
    # Restored after the test, whatever it told the module.
    monkeypatch.setattr(outbound_response, '_CASE_INSENSITIVE_DICT', None)
    monkeypatch.setattr(outbound_response, '_HTTP_HEADER_DICT', None)
    outbound_response.know_header_types(
        requests.structures.CaseInsensitiveDict, urllib3.HTTPHeaderDict)


def test_both_header_types_are_read_from_storage(known_types):
    assert outbound_response._CASE_INSENSITIVE_DICT is \
        requests.structures.CaseInsensitiveDict
    assert outbound_response._HTTP_HEADER_DICT is urllib3.HTTPHeaderDict


def test_request_headers_as_items_gives_them(known_types):
    headers = requests.structures.CaseInsensitiveDict(
        [('User-Agent', 'x'), ('accept', '*/*'), ('X-Auth-Token', 'tok')])
    headers['ACCEPT'] = 'application/json'     # keeps its first place
    headers['Content-Type'] = 'application/json'
    assert outbound_response.header_pairs(headers) == _by_items(headers)
    assert outbound_response.header_pairs(headers)[1] == \
        ('ACCEPT', 'application/json')


def test_bytes_in_request_headers_become_text(known_types):
    headers = requests.structures.CaseInsensitiveDict(
        [('X-Bytes', b'caf\xe9'), (b'X-Name', 'v'), ('Plain', 'p')])
    assert outbound_response.header_pairs(headers) == [
        ('X-Bytes', 'caf\xe9'), ('X-Name', 'v'), ('Plain', 'p')]


def test_repeated_response_headers_as_items_gives_them(known_types):
    headers = urllib3.HTTPHeaderDict()
    headers.add('Set-Cookie', 'a=1')
    headers.add('Content-Type', 'application/json')
    headers.add('set-cookie', 'b=2')
    assert outbound_response.header_pairs(headers) == _by_items(headers)
    assert len(outbound_response.header_pairs(headers)) == 3


def test_a_type_whose_storage_differs_from_its_items_is_not_read(
        monkeypatch):
    monkeypatch.setattr(outbound_response, '_CASE_INSENSITIVE_DICT', None)
    monkeypatch.setattr(outbound_response, '_HTTP_HEADER_DICT', None)

    class Stored(dict):
        def __init__(self, pairs=()):
            super(Stored, self).__init__(pairs)
            self._store = {'x': ('X', 'not what items() gives')}
            self._container = {'x': ['X', 'nor this']}

        def add(self, name, value):
            self[name] = value

    outbound_response.know_header_types(Stored, Stored)
    assert outbound_response._CASE_INSENSITIVE_DICT is None
    assert outbound_response._HTTP_HEADER_DICT is None
    assert outbound_response.header_pairs(Stored([('A', '1')])) == \
        [('A', '1')]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        payload = b'x' * 100000
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except OSError:
            pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d' % httpd.server_port
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_response_still_unread_at_exit_is_recorded(server, tmp_path):
    log = tmp_path / 'requestshook.log'
    config = tmp_path / 'requestshook.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\nfilters_file = %s\n'
                      % (log, tmp_path / 'none.json'))
    # A daemon thread holds the response: never collected, even at exit.
    script = textwrap.dedent('''
        import sys, threading, time
        from requestshook.capture import outbound
        outbound.enable(service_name='exiting', config_file=sys.argv[2])
        import requests
        held = threading.Event()

        def hold():
            response = requests.get(sys.argv[1] + '/big', stream=True)
            response.raw.read(10)
            held.set()
            time.sleep(600)
        threading.Thread(target=hold, daemon=True).start()
        held.wait(30)
    ''')
    subprocess.run([sys.executable, '-c', script, server, str(config)],
                   check=True, timeout=60)
    with open(str(log), 'rb') as stream:
        events = [event.decode(line) for line in stream]
    assert [e['event'] for e in events] == ['request', 'response']
    assert events[1]['body']['size'] == 10
    assert events[1]['body']['reason'] == 'not read to its end'


class _WithCollector(_Handler):
    posts = []

    def do_POST(self):
        length = int(self.headers.get('Content-Length') or 0)
        self.posts.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()


def test_response_still_unread_at_exit_reaches_a_network_sink(tmp_path):
    # The sinks' own exit handler (registered when the first one is
    # built) closes them: the responses left at exit must be written
    # before, as weakref.finalize's handler did.
    _WithCollector.posts = []
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _WithCollector)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = 'http://127.0.0.1:%d' % httpd.server_port
    config = tmp_path / 'requestshook.conf'
    config.write_text(
        '[DEFAULT]\nlog_file = %s\nfilters_file = %s\nsinks = file, otlp\n'
        'otlp_endpoint = %s/v1/traces\n'
        % (tmp_path / 'requestshook.log', tmp_path / 'none.json', url))
    script = textwrap.dedent('''
        import sys, threading, time
        from requestshook.capture import outbound
        outbound.enable(service_name='exiting', config_file=sys.argv[2])
        import requests
        held = threading.Event()

        def hold():
            response = requests.get(sys.argv[1] + '/big', stream=True)
            response.raw.read(10)
            held.set()
            time.sleep(600)
        threading.Thread(target=hold, daemon=True).start()
        held.wait(30)
    ''')
    try:
        subprocess.run([sys.executable, '-c', script, url, str(config)],
                       check=True, timeout=60)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert any(b'exiting' in post for post in _WithCollector.posts)


class _ValueEqualRaw(object):
    """A raw response compared by value: unhashable (__eq__ alone)."""

    def __init__(self, data):
        self._fp = io.BytesIO(data)

    def __eq__(self, other):
        return self is other

    def read(self, amt=None):
        return self._fp.read(amt)

    def close(self):
        self._fp.close()


class _Call(object):
    method = 'GET'

    def __init__(self):
        self.ends = []

    def responded(self, fields, body):
        self.ends.append(('responded', body))

    def failed(self, exc, status=None):
        self.ends.append(('failed', exc))


def test_an_unhashable_raw_response_is_observed():
    raw = _ValueEqualRaw(b'abc')
    response = types.SimpleNamespace(
        status_code=200, reason='OK', raw=raw,
        headers={'Content-Type': 'text/plain'})
    call = _Call()
    outbound_response.ResponseObserver(call, response, 64)
    assert raw.read() == b'abc'
    assert call.ends == [
        ('responded', event.body_record(b'abc', 3, 'text/plain'))]
