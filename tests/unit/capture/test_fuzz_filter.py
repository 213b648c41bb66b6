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


"""Differential fuzzing of the paste filter with hypothesis.

A random WSGI application (how it reads its input, how it calls
``start_response``, what it returns, where it raises) answers a random
request three times, served by wsgiref's own handler: bare, through the
filter with recording on (a real recorder writing a real log) and
through the filter with recording off; with and without
``wsgiref.validate`` around it.  Status, headers (but the two the filter
echoes), body and the exception wsgiref logs must be the same, every
line of the log strict JSON (RFC 8259: no NaN, no Infinity), and the
filter switched off must write nothing.

``tox -e fuzz`` (``REQUESTSHOOK_FUZZ_PROFILE=fuzz``) runs many more
examples than the default run; see tests/unit/conftest.py.
"""

import json
import os
import re
import sys
import warnings
import wsgiref.validate

import hypothesis
from hypothesis import strategies as st
import pytest

from requestshook.capture import middleware
from requestshook.capture import outbound
from requestshook.capture import rpc
from requestshook import event
from requestshook.recording import recorder as recorder_module
from tests.unit.capture import wsgiref_server

# -- the applications ---------------------------------------------------------

STATUSES = ['200 OK', '201 Created', '204 No Content', '404 Not Found',
            '500 Internal Server Error', '200', 'OK', 200, b'200 OK']
GOOD_HEADERS = [('Content-Type', 'application/json'),
                ('Content-Type', 'text/plain; charset=utf-8'),
                ('X-App', 'yes'), ('Content-Length', '3'),
                (event.HEADER_REQUEST_ID, 'from-the-app'),
                ('x-requestshook-request-from', 'app')]
ODD_HEADERS = [(b'X-Bytes', 'v'), ('X-Int', 7), ('X-Nl', 'a\nb'),
               ('Connection', 'close'), ['X-List', 'v'], ('X-Three', 'a', 'b'),
               42, 'X-Str']
CHUNKS = st.one_of(
    st.binary(max_size=80),
    st.sampled_from([b'', b'{"a": 1}', b'{"n": NaN}', b'[1e400]',
                     '{"password": "S"}'.encode('utf-8'), b'\xff\xfe',
                     '\u00e9t\u00e9'.encode('utf-8')]),
    st.sampled_from(['text', 42, None, bytearray(b'ba')]))
READS = st.lists(st.one_of(
    st.tuples(st.just('read'), st.integers(0, 40)),
    st.just(('read',)), st.just(('readline',)), st.just(('readlines',)),
    st.just(('iterate',)), st.tuples(st.just('readinto'),
                                     st.integers(0, 40)),
    st.just(('seek0',)), st.just(('close',))), max_size=3)
CALLS = ['positional', 'exc_info positional', 'exc_info keyword',
         'keywords', 'bogus keyword', 'twice', 'never', 'late']
RESULTS = ['list', 'tuple', 'generator', 'sized', 'iterator', 'bytes',
           'str']
RAISES = st.one_of(st.none(), st.just('before'), st.just('close'),
                   st.tuples(st.just('iterate'), st.integers(0, 3)))

PLANS = st.fixed_dictionaries({
    'reads': READS,
    'status': st.sampled_from(STATUSES),
    'headers': st.lists(st.one_of(st.sampled_from(GOOD_HEADERS),
                                  st.sampled_from(ODD_HEADERS)),
                        max_size=4),
    'container': st.sampled_from(['list', 'list', 'tuple', 'generator']),
    'call': st.sampled_from(CALLS),
    'writes': st.lists(CHUNKS, max_size=2),
    'result': st.sampled_from(RESULTS),
    'chunks': st.lists(CHUNKS, max_size=4),
    'raises': RAISES,
})
REQUESTS = st.fixed_dictionaries({
    'method': st.sampled_from(['GET', 'PUT', 'POST', 'HEAD', 'DELETE']),
    'body': st.one_of(st.just(b''), st.binary(max_size=100),
                      st.just(b'{"auth": {"password": "S3CRET"}}\nline 2\n')),
    'chunked': st.booleans(),
    'headers': st.lists(st.tuples(
        st.sampled_from(['Content-Type', 'User-Agent', 'X-Auth-Token',
                         event.HEADER_REQUEST_ID, event.HEADER_TRACE_ID,
                         event.HEADER_PARENT_ID, event.HEADER_REQUEST_FROM]),
        st.one_of(st.sampled_from(['application/json', 'a' * 32,
                                   'a' * 32 + '\n', 'openstack', '',
                                   'python-requests/2.32']),
                  st.text(st.characters(min_codepoint=32, max_codepoint=255),
                          max_size=20))), max_size=4),
})


class AppFailed(Exception):
    pass


def _read(stream, operation):
    name = operation[0]
    if name == 'read':
        return stream.read(*operation[1:])
    if name == 'readline':
        return stream.readline()
    if name == 'readlines':
        return b''.join(stream.readlines())
    if name == 'iterate':
        return b''.join(stream)
    if name == 'readinto':
        buffer = bytearray(operation[1])
        count = stream.readinto(buffer)
        return bytes(buffer[:count or 0])
    if name == 'seek0':
        stream.seek(0)
        return b''
    stream.close()
    return b''


def _headers(plan):
    headers = plan['headers']
    if plan['container'] == 'tuple':
        return tuple(headers)
    if plan['container'] == 'generator':
        return (pair for pair in headers)
    return list(headers)


def _start(plan, start_response):
    call, status = plan['call'], plan['status']
    if call == 'never':
        return lambda data: None
    if call == 'keywords':
        return start_response(status=status, headers=_headers(plan))
    if call == 'bogus keyword':
        return start_response(status, _headers(plan), bogus=True)
    write = start_response(status, _headers(plan))
    if call == 'twice':
        return start_response(status, _headers(plan))
    if call.startswith('exc_info'):
        try:
            raise AppFailed('replaced')
        except AppFailed:
            if call.endswith('keyword'):
                return start_response('503 Service Unavailable',
                                      [('X-After', 'error')],
                                      exc_info=sys.exc_info())
            return start_response('503 Service Unavailable',
                                  [('X-After', 'error')], sys.exc_info())
    return write


class _Closing(object):
    def __init__(self, chunks, raises):
        self._chunks = chunks
        self._raises = raises

    def __iter__(self):
        return _chunks(self._chunks, self._raises)

    def close(self):
        if self._raises == 'close':
            raise AppFailed('close')


class _Sized(_Closing):
    def __len__(self):
        return len(self._chunks)


class _Iterator(_Closing):
    def __iter__(self):
        self._iterator = _chunks(self._chunks, self._raises)
        return self

    def __next__(self):
        return next(self._iterator)


def _chunks(chunks, raises):
    for number, chunk in enumerate(chunks):
        if raises == ('iterate', number):
            raise AppFailed('chunk %d' % number)
        yield chunk


def _result(plan, read):
    chunks = [read] + list(plan['chunks'])
    kind, raises = plan['result'], plan['raises']
    if kind == 'list':
        return chunks
    if kind == 'tuple':
        return tuple(chunks)
    if kind == 'generator':
        return _chunks(chunks, raises)
    if kind == 'sized':
        return _Sized(chunks, raises)
    if kind == 'iterator':
        return _Iterator(chunks, raises)
    if kind == 'bytes':
        return b''.join(c for c in chunks if isinstance(c, bytes))
    return 'text result'


def make_app(plan):
    def app(environ, start_response):
        stream = environ['wsgi.input']
        reads = [_read(stream, one) for one in plan['reads']]
        # What was read, whole (a secret stays a secret), then the size
        # of each read: the answer shows how the body was split.
        read = b''.join(reads) + b'\n' + b','.join(
            b'%d' % len(one) for one in reads)
        if plan['raises'] == 'before':
            raise AppFailed('before start_response')
        if plan['call'] == 'late':
            return _late(plan, read, start_response)
        write = _start(plan, start_response)
        for data in plan['writes']:
            write(data)
        return _result(plan, read)
    return app


def _late(plan, read, start_response):
    # start_response called from inside the iterator, as PEP 3333 allows.
    start_response(plan['status'], _headers(plan))
    yield read
    for chunk in _chunks(plan['chunks'], plan['raises']):
        yield chunk


# -- serving it three ways ----------------------------------------------------

def _strict(constant):
    raise ValueError('not RFC 8259 JSON: %s' % constant)


class Logs(object):
    """A recorder switched on and one switched off, each with its log."""

    def __init__(self, folder):
        self.on_log = os.path.join(folder, 'on.log')
        self.off_log = os.path.join(folder, 'off.log')
        self.on = self._recorder(folder, 'on', 'true', self.on_log)
        self.off = self._recorder(folder, 'off', 'false', self.off_log)
        self._read = 0

    @staticmethod
    def _recorder(folder, name, enabled, log):
        config = os.path.join(folder, name + '.conf')
        with open(config, 'w') as conf:
            conf.write('[DEFAULT]\nenabled = %s\nlog_file = %s\n'
                       'filters_file = %s\nmax_body_bytes = 32\n'
                       % (enabled, log, os.path.join(folder, 'none.json')))
        return recorder_module.Recorder(config)

    def new_lines(self):
        if not os.path.exists(self.on_log):
            return []
        with open(self.on_log, 'rb') as log:
            log.seek(self._read)
            data = log.read()
        self._read += len(data)
        assert not data or data.endswith(b'\n')
        return data.splitlines()

    def close(self):
        self.on.close()
        self.off.close()


@pytest.fixture(scope='module')
def logs(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        # Not this process's requests or oslo.messaging.
        patch.setattr(outbound, 'install', lambda **kwargs: None)
        patch.setattr(rpc, 'install', lambda *args, **kwargs: None)
        made = Logs(str(tmp_path_factory.mktemp('fuzz')))
        yield made
        made.close()


_ADDRESS = re.compile(r' at 0x[0-9a-f]+')
# A server's message may quote the headers, with the two echoed ones
# (which the filter sets in place of any the application gave).
_ECHOED = re.compile(r"\('(?:%s)', '[^']*'\)" % '|'.join(
    re.escape(name) for name in event.ECHOED_HEADERS), re.I)
_PUNCTUATION = re.compile(r'[\s,()\[\]]')


def _normalized(error):
    """The error without the echoed pairs it may quote, nor addresses.

    The punctuation around the pairs goes too (a quoted list or tuple).
    """
    if not error:
        return None
    return _PUNCTUATION.sub('', _ECHOED.sub('', _ADDRESS.sub('', error)))


def serve(app, request, validated):
    if validated:
        app = wsgiref.validate.validator(app)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        served = wsgiref_server.serve(app, **request)
    return served._replace(error=_normalized(served.error))


PLAIN = {'reads': [('read', 40)], 'status': '200 OK',
         'headers': [('Content-Type', 'application/json')],
         'container': 'list', 'call': 'positional', 'writes': [],
         'result': 'generator', 'chunks': [b'{"a": 1}'], 'raises': None}
PUT = {'method': 'PUT', 'body': b'{"name": "x"}', 'chunked': False,
       'headers': [('Content-Type', 'application/json')]}


@hypothesis.given(plan=PLANS, request=REQUESTS, validated=st.booleans())
@hypothesis.example(plan=PLAIN, request=PUT, validated=True)
# A read boundary inside a secret's key: the echo must not split the key.
@hypothesis.example(
    plan=dict(PLAIN, reads=[('read', 12), ('read',)], headers=[],
              writes=[], chunks=[], result='list'),
    request={'method': 'GET', 'chunked': False, 'headers': [],
             'body': b'{"auth": {"password": "S3CRET"}}\nline 2\n'},
    validated=False)
@hypothesis.example(plan=dict(PLAIN, headers=[]), request=PUT,
                    validated=True)
@hypothesis.example(plan=dict(PLAIN, result='sized', chunks=[]),
                    request=dict(PUT, chunked=True), validated=False)
@hypothesis.example(plan=dict(PLAIN, container='tuple', call='exc_info '
                              'keyword'), request=PUT, validated=False)
@hypothesis.example(plan=dict(PLAIN, chunks=[b'a', 42, None]), request=PUT,
                    validated=False)
@hypothesis.example(plan=dict(PLAIN, reads=[('iterate',), ('seek0',),
                                            ('readinto', 5)]),
                    request=dict(PUT, headers=[
                        (event.HEADER_TRACE_ID, 'a' * 32 + '\n')]),
                    validated=False)
def test_fuzz_filter_answers_as_the_bare_app(logs, plan, request,
                                             validated):
    bare = serve(make_app(plan), request, validated)
    on = serve(middleware.RequestsHook(
        make_app(plan), {'service_name': 'api'}, recorder=logs.on),
        request, validated)
    off = serve(middleware.RequestsHook(
        make_app(plan), {'service_name': 'api'}, recorder=logs.off),
        request, validated)
    assert on == bare
    assert off == bare
    for line in logs.new_lines():
        record = json.loads(line, parse_constant=_strict)
        assert record['event'] in event.EVENT_KINDS
        assert 'S3CRET' not in line.decode('utf-8')
    assert not os.path.exists(logs.off_log)
