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

"""wsgi_url.request_url gives what wsgiref.util.request_uri gives."""

import itertools
import wsgiref.util

import pytest

from requestshook.capture import wsgi_url

SCRIPTS = [None, '', '/', '/identity', '/v2 x', '/é', '/a;b', 'noslash']
PATHS = ['', '/', '/v2/images', '/a b', '/a;b=c,d', '/%41', '/ü', '/~x_y.z-',
         'noslash', '/a?b', '/a#b', '/\u0100']
HOSTS = [{'HTTP_HOST': 'h:5000'},
         {'SERVER_NAME': 'h', 'SERVER_PORT': '80'},
         {'SERVER_NAME': 'h', 'SERVER_PORT': '443'},
         {'SERVER_NAME': 'h', 'SERVER_PORT': '8080', 'HTTP_HOST': ''}]


def _outcome(function, environ):
    try:
        return function(environ)
    except Exception as exc:
        return type(exc)


@pytest.mark.parametrize('scheme', ['http', 'https'])
def test_the_same_url_as_wsgiref(scheme):
    for script, path, host, query in itertools.product(
            SCRIPTS, PATHS, HOSTS, ['', 'a=1&b=%20']):
        environ = dict(host, **{'wsgi.url_scheme': scheme,
                                'PATH_INFO': path, 'QUERY_STRING': query})
        if script is not None:
            environ['SCRIPT_NAME'] = script
        assert _outcome(wsgi_url.request_url, environ) == \
            _outcome(wsgiref.util.request_uri, environ), environ


def test_what_is_not_text_goes_to_wsgiref():
    environ = {'wsgi.url_scheme': 'http', 'HTTP_HOST': 'h',
               'PATH_INFO': b'/bytes'}
    assert _outcome(wsgi_url.request_url, environ) == \
        _outcome(wsgiref.util.request_uri, environ)
