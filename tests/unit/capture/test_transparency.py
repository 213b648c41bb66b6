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


"""Odd but legal (or illegal) applications answer as without the filter.

Each application is served by wsgiref's own handler bare and through the
filter; what the client gets and what wsgiref logs must be the same.
"""

import sys

import pytest

from requestshook.capture import middleware
from requestshook.capture import outbound
from tests.unit import fake_recorder
from tests.unit.capture import wsgiref_server


@pytest.fixture(autouse=True)
def no_outbound_install(monkeypatch):
    monkeypatch.setattr(outbound, 'install', lambda **kwargs: None)


def through_filter(app, rec=None):
    return middleware.RequestsHook(
        app, {'service_name': 'api'},
        recorder=rec or fake_recorder.FakeRecorder())


def assert_same(app, **request):
    rec = fake_recorder.FakeRecorder()
    bare = wsgiref_server.serve(app, **request)
    filtered = wsgiref_server.serve(through_filter(app, rec), **request)
    assert filtered == bare
    return bare, rec


def exc_info_as_keyword(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    try:
        raise RuntimeError('late')
    except RuntimeError:
        start_response('503 Service Unavailable',
                       [('Content-Type', 'text/plain')],
                       exc_info=sys.exc_info())
    return [b'try again']


def test_start_response_exc_info_as_keyword():
    served, rec = assert_same(exc_info_as_keyword)
    assert served.status == '503 Service Unavailable'
    assert served.body == b'try again'
    assert rec.events[-1]['status'] == 503


def test_start_response_all_by_keyword():
    def app(environ, start_response):
        start_response(status='201 Created', headers=[('X-A', 'b')])
        return [b'made']
    served, rec = assert_same(app)
    assert served.status == '201 Created'
    assert rec.events[-1]['status'] == 201


def test_start_response_with_a_keyword_the_server_lacks():
    def app(environ, start_response):
        start_response('200 OK', [], bogus=True)
        return [b'never']
    served, _ = assert_same(app)
    assert served.error.startswith('TypeError')


def test_headers_given_as_a_tuple():
    def app(environ, start_response):
        start_response('200 OK', (('Content-Type', 'text/plain'),))
        return [b'tuple']
    served, _ = assert_same(app)
    assert served.status == '500 Internal Server Error'


@pytest.mark.parametrize('headers', [
    [('X-Ok', 'yes'), 42], [('X-Ok', 'yes', 'extra')], [['X-List', 'v']],
    [(b'X-Bytes', 'v')], [('X-Int', 7)], 'not headers'])
def test_odd_headers(headers):
    def app(environ, start_response):
        start_response('200 OK', headers)
        return [b'odd']
    assert_same(app)


class _Sized(object):
    def __init__(self, chunks):
        self.chunks = chunks

    def __len__(self):
        return len(self.chunks)

    def __iter__(self):
        return iter(self.chunks)


def test_result_with_a_length_keeps_content_length():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return _Sized([b'one block'])
    served, rec = assert_same(app)
    assert ('Content-Length', '9') in served.headers
    assert rec.events[-1]['body']['data'] == 'one block'


@pytest.mark.parametrize('chunks', [[b'a', 42], [b'a', 'text'], [None],
                                    [b'a', bytearray(b'b')]])
def test_non_bytes_chunk_gives_the_servers_error(chunks):
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return iter(chunks)
    served, _ = assert_same(app)
    assert served.error and 'requestshook' not in served.error


def test_write_of_a_non_bytes_chunk_gives_the_servers_error():
    def app(environ, start_response):
        write = start_response('200 OK', [('Content-Type', 'text/plain')])
        write(12)
        return []
    served, _ = assert_same(app)
    assert served.error.startswith('AssertionError')
