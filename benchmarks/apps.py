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

"""The WSGI applications under test, without any middleware.

``json_app`` is a small API call: it parses a 2 KiB JSON request body and
answers 2 KiB of JSON.  ``stream_app`` moves large bodies: a PUT is read
and dropped in chunks, a GET of ``/<bytes>`` streams that many generated
bytes, so no body ever sits in memory whole.
"""

import io
import json

BODY_SIZE = 2048
CHUNK = 1 << 20


def json_document(size=BODY_SIZE, kind='image'):
    """A JSON object of exactly ``size`` bytes, shaped like an API body."""
    document = {kind: {'id': '5f1b7d0e-3c1e-4b8a-9d55-0c7a1e0f9a11',
                       'name': 'cirros-0.6.2-x86_64-disk',
                       'status': 'active', 'visibility': 'public',
                       'tags': ['bench', 'requestshook'], 'padding': ''}}
    empty = len(json.dumps(document).encode())
    document[kind]['padding'] = 'x' * (size - empty)
    return json.dumps(document).encode()


REQUEST_BODY = json_document(kind='request')
RESPONSE_BODY = json_document(kind='image')
_JSON_HEADERS = [('Content-Type', 'application/json'),
                 ('Content-Length', str(len(RESPONSE_BODY)))]


def json_app(environ, start_response):
    length = int(environ.get('CONTENT_LENGTH') or 0)
    if length:
        json.loads(environ['wsgi.input'].read(length))
    start_response('200 OK', list(_JSON_HEADERS))
    return [RESPONSE_BODY]


def json_environ(path='/v2/images', headers=None, body=REQUEST_BODY):
    """A fresh environ for one POST of ``body`` to ``json_app``."""
    environ = {
        'REQUEST_METHOD': 'POST', 'SCRIPT_NAME': '', 'PATH_INFO': path,
        'QUERY_STRING': '', 'SERVER_NAME': '127.0.0.1',
        'SERVER_PORT': '8080', 'SERVER_PROTOCOL': 'HTTP/1.1',
        'REMOTE_ADDR': '127.0.0.1', 'CONTENT_TYPE': 'application/json',
        'CONTENT_LENGTH': str(len(body)), 'HTTP_HOST': '127.0.0.1:8080',
        'HTTP_USER_AGENT': 'python-glanceclient',
        'HTTP_ACCEPT': 'application/json',
        'wsgi.version': (1, 0), 'wsgi.url_scheme': 'http',
        'wsgi.input': io.BytesIO(body), 'wsgi.errors': io.StringIO(),
        'wsgi.multithread': False, 'wsgi.multiprocess': False,
        'wsgi.run_once': False,
    }
    for name, value in (headers or {}).items():
        environ['HTTP_' + name.upper().replace('-', '_')] = value
    return environ


_PATTERN = bytes(range(256)) * (CHUNK // 256)


def _generated(size):
    whole, rest = divmod(size, CHUNK)
    for _ in range(whole):
        yield _PATTERN
    if rest:
        yield _PATTERN[:rest]


def stream_app(environ, start_response):
    method = environ['REQUEST_METHOD']
    if method == 'PUT':
        stream = environ['wsgi.input']
        received = 0
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            received += len(chunk)
        answer = json.dumps({'received': received}).encode()
        start_response('201 Created',
                       [('Content-Type', 'application/json'),
                        ('Content-Length', str(len(answer)))])
        return [answer]
    size = int(environ.get('PATH_INFO', '/0').strip('/') or 0)
    start_response('200 OK', [('Content-Type', 'application/octet-stream'),
                              ('Content-Length', str(size))])
    return _generated(size)
