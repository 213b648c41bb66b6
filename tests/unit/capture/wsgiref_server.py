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


"""Serve one request with wsgiref's own handler, in memory.

What a client would get (status, headers, body) and what the server
logged of an exception, so tests compare an application served bare and
through the filter as wsgiref serves them, odd results included.
"""

import collections
import io
import wsgiref.handlers

from requestshook import event

Served = collections.namedtuple('Served', ['status', 'headers', 'body',
                                           'error'])
_ECHOED = {name.lower() for name in event.ECHOED_HEADERS}


class _Handler(wsgiref.handlers.SimpleHandler):
    # The test process's own environment stays out of the requests; a
    # CGI-style answer ("Status:" header, no Date) is the same each time.
    os_environ = {}
    origin_server = False


def _environ(method, path, body, headers, chunked):
    environ = {'REQUEST_METHOD': method, 'PATH_INFO': path,
               'SCRIPT_NAME': '', 'QUERY_STRING': '',
               'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
               'SERVER_PROTOCOL': 'HTTP/1.1', 'wsgi.url_scheme': 'http'}
    if chunked:
        environ['HTTP_TRANSFER_ENCODING'] = 'chunked'
    elif body:
        environ['CONTENT_LENGTH'] = str(len(body))
    for name, value in headers:
        key = name.upper().replace('-', '_')
        if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            key = 'HTTP_' + key
        environ[key] = value
    return environ


def _last_error_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if not line.startswith(' '):
            return line
    return None


def serve(app, method='GET', path='/', body=b'', headers=(),
          chunked=False, keep_echo=False):
    """``Served`` of ``app`` for one request, as wsgiref answers it.

    ``error`` is the last line of the traceback wsgiref logged (the
    exception's type and message), or None.  The two headers the filter
    echoes are left out unless ``keep_echo``.
    """
    stdout, stderr = io.BytesIO(), io.StringIO()
    handler = _Handler(io.BytesIO(body), stdout, stderr,
                       _environ(method, path, body, headers, chunked),
                       multithread=False, multiprocess=False)
    handler.run(app)
    head, _, payload = stdout.getvalue().partition(b'\r\n\r\n')
    lines = head.decode('iso-8859-1').split('\r\n') if head else []
    status = lines[0].partition(': ')[2] if lines else None
    pairs = [tuple(line.split(': ', 1)) for line in lines[1:]]
    if not keep_echo:
        pairs = [pair for pair in pairs if pair[0].lower() not in _ECHOED]
    return Served(status, pairs, payload,
                  _last_error_line(stderr.getvalue()))
