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
import urllib.parse
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


@pytest.mark.parametrize('host, shown', [
    ('h/v3/auth/tokens#', 'h%2Fv3%2Fauth%2Ftokens%23'),
    ('h/v3/auth/tokens?', 'h%2Fv3%2Fauth%2Ftokens%3F'),
    ('u@h', 'u%40h'),
    ('a b', 'a%20b'),
    ('h\\x', 'h%5Cx'),
])
@pytest.mark.parametrize('path', ['/v2.1/servers', '/v2.1/servers x'])
def test_a_host_header_cannot_change_the_path_read_back(host, shown, path):
    # Any client chooses its Host header: 'h/v3/auth/tokens#' must not
    # make a reader see GET /v3/auth/tokens for GET /v2.1/servers.
    environ = {'wsgi.url_scheme': 'http', 'HTTP_HOST': host,
               'PATH_INFO': path, 'QUERY_STRING': 'a=1'}
    url = wsgi_url.request_url(environ)
    expected = wsgiref.util.request_uri(dict(environ, HTTP_HOST=shown))
    assert url == expected
    assert urllib.parse.urlsplit(url).netloc == shown


def test_a_usual_host_is_kept_as_it_is():
    for host in ('h', 'h:5000', '192.0.2.1:80', '[::1]:5000', 'a-b.c_d',
                 '[::1'):
        environ = {'wsgi.url_scheme': 'http', 'HTTP_HOST': host,
                   'PATH_INFO': '/x'}
        assert wsgi_url.request_url(environ) == 'http://%s/x' % host
