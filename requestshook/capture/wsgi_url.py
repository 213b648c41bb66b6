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


"""The URL of a WSGI request, as ``wsgiref.util.request_uri`` makes it.

The same text, made without ``urllib.parse.quote`` when the script name
and path hold only characters it would keep as they are: the usual case,
and a fifth of what the paste filter spent on a call besides its events.
One difference: a Host header holding what a host cannot (``/``, ``?``,
``#``, ``@``, spaces) is percent-quoted, so that no client can make the
URL read back name another path (``Host: h/v3/auth/tokens#``).
"""

import re
import urllib.parse
import wsgiref.util

# What quote() keeps: its always-safe characters and the safe ones given
# by wsgiref ('/' for SCRIPT_NAME, '/;=,' for PATH_INFO).
_KEPT_IN_SCRIPT = re.compile(r'[A-Za-z0-9_.~/-]*')
_KEPT_IN_PATH = re.compile(r'[A-Za-z0-9_.~/;=,-]*')
_HOST = re.compile(r'[A-Za-z0-9_.:\[\]-]*')


def _quoted_host(environ):
    """``environ`` with its Host header quoted, or None if it is fine."""
    host = environ.get('HTTP_HOST')
    if not host or host.__class__ is not str or _HOST.fullmatch(host):
        return None
    return dict(environ, HTTP_HOST=urllib.parse.quote(host, safe=':[]'))


def request_url(environ):
    """``wsgiref.util.request_uri(environ)``, a hostile Host quoted."""
    quoted = _quoted_host(environ)
    if quoted is not None:
        return wsgiref.util.request_uri(quoted)
    script = environ.get('SCRIPT_NAME')
    path = environ.get('PATH_INFO', '')
    if path.__class__ is not str or (script and script.__class__ is not str) \
            or not _KEPT_IN_PATH.fullmatch(path) \
            or (script and not _KEPT_IN_SCRIPT.fullmatch(script)):
        return wsgiref.util.request_uri(environ)
    scheme = environ['wsgi.url_scheme']
    host = environ.get('HTTP_HOST')
    if not host:
        host = environ['SERVER_NAME']
        port = environ['SERVER_PORT']
        if port != ('443' if scheme == 'https' else '80'):
            host += ':' + port
    if script:
        url = scheme + '://' + host + script + path
    else:
        url = scheme + '://' + host + '/' + path[1:]
    query = environ.get('QUERY_STRING')
    if query:
        url += '?' + query
    return url
