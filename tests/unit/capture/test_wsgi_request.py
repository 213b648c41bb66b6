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

"""The filter's request header list, with its names kept per environ key."""

from requestshook.capture import wsgi_request


def _plain(environ):
    # What the filter wrote before the names were kept.
    headers = []
    for key, value in environ.items():
        if key.startswith('HTTP_'):
            name = key[5:]
        elif key in ('CONTENT_TYPE', 'CONTENT_LENGTH') and value:
            name = key
        else:
            continue
        headers.append((name.replace('_', '-').title(), str(value)))
    return headers


ENVIRONS = [
    {'REQUEST_METHOD': 'GET', 'HTTP_X_AUTH_TOKEN': 't', 'CONTENT_TYPE': '',
     'CONTENT_LENGTH': '0', 'HTTP_EMPTY': '', 'wsgi.input': None,
     'HTTP_ACCEPT': 'application/json', 'PATH_INFO': '/HTTP_NOT'},
    {'CONTENT_TYPE': 'text/plain', 'CONTENT_LENGTH': '', 'HTTP_HOST': 'h',
     'HTTP_X_OPENSTACK_REQUEST_ID': 'req-1', 'HTTP_': 'odd'},
]


def test_the_same_list_on_first_and_later_calls():
    for _ in range(2):
        for environ in ENVIRONS:
            assert wsgi_request.request_headers(environ) == _plain(environ)


def test_the_kept_names_are_bounded(monkeypatch):
    monkeypatch.setattr(wsgi_request, '_header_names', {})
    many = {'HTTP_X_%d' % n: str(n)
            for n in range(wsgi_request._HEADER_NAMES_KEPT * 2)}
    assert wsgi_request.request_headers(many) == _plain(many)
    assert len(wsgi_request._header_names) <= wsgi_request._HEADER_NAMES_KEPT
