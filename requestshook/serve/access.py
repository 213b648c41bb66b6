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

"""Who may read the served log: the bind address and the token.

The log holds request and response bodies, and is readable by a few
service accounts only; 127.0.0.1 is reachable by every local user.  So,
as Jupyter does, a token is always required, on loopback too: given
(at least MIN_TOKEN_LENGTH characters), or made for the run and printed
in the address to open.  A token, once given in the address
(``?token=``), is kept in an HttpOnly, SameSite=Strict cookie;
``Authorization: Bearer`` works for scripts.  ``--no-token`` serves
without one, on a loopback address only (a single-user machine); then
the Host header must name the loopback address, so a web page cannot
reach the server through DNS rebinding.
"""

import hmac
import http.cookies
import ipaddress
import secrets
import urllib.parse

DEFAULT_HOST = '127.0.0.1'
DEFAULT_PORT = 8765
COOKIE = 'requestshook_token'
LOCAL_NAMES = ('localhost', '127.0.0.1', '::1', '[::1]')
MIN_TOKEN_LENGTH = 16
GENERATED_TOKEN_BYTES = 32


class BindError(ValueError):
    """A --bind value that is not HOST:PORT."""


class AccessError(ValueError):
    """A token, or the lack of one, that the server refuses to run with."""


def parse_bind(value):
    """``(host, port)``: ``HOST:PORT``, ``:PORT``, ``HOST``, ``[::1]:PORT``."""
    value = (value or '').strip()
    if not value:
        return DEFAULT_HOST, DEFAULT_PORT
    host, port = value, None
    if value.startswith('['):
        host, _sep, rest = value[1:].partition(']')
        if rest.startswith(':'):
            port = rest[1:]
        elif rest:
            raise BindError('--bind wants HOST:PORT, not %r' % value)
    elif value.count(':') == 1:
        host, port = value.split(':')
    host = host or DEFAULT_HOST
    if port is None or port == '':
        return host, DEFAULT_PORT
    if not port.isdigit() or int(port) > 65535:
        raise BindError('--bind wants HOST:PORT with a port number, not %r'
                        % value)
    return host, int(port)


def is_loopback(host):
    if host in ('localhost',):
        return True
    try:
        return ipaddress.ip_address(host.strip('[]')).is_loopback
    except ValueError:
        return False


class Access(object):
    """The policy of one server: ``token`` None means none is asked.

    Build it with ``for_bind``: only ``no_token`` on loopback gives None.
    """

    def __init__(self, host, port, token=None):
        self.host = host
        self.port = port
        self.token = token
        self.generated = False

    @classmethod
    def for_bind(cls, host, port, token=None, no_token=False,
                 token_name='--token'):
        """The policy for a bind address; AccessError when refused.

        Without ``token``, one is made (``generated`` says so: the
        command prints it in the address to open).  ``no_token`` is
        allowed on loopback only.  ``token_name`` is where the token
        came from, for the error message.
        """
        if no_token:
            if token:
                raise AccessError('give --no-token or a token (%s), '
                                  'not both' % token_name)
            if not is_loopback(host):
                raise AccessError(
                    '--no-token is allowed on a loopback address only '
                    '(127.0.0.1, ::1, localhost), not %s: off loopback '
                    'the log would be open to the network' % host)
            return cls(host, port, None)
        if token:
            if len(token) < MIN_TOKEN_LENGTH:
                raise AccessError(
                    'the token (%s) needs %d characters or more, this '
                    'one has %d; leave it out to have one made and '
                    'printed' % (token_name, MIN_TOKEN_LENGTH, len(token)))
            return cls(host, port, token)
        access = cls(host, port,
                     secrets.token_urlsafe(GENERATED_TOKEN_BYTES))
        access.generated = True
        return access

    def url(self, port=None):
        host = self.host
        if ':' in host and not host.startswith('['):
            host = '[%s]' % host
        if host in ('0.0.0.0', '[::]'):
            host = '127.0.0.1' if host == '0.0.0.0' else '[::1]'
        address = 'http://%s:%s/' % (host, port or self.port)
        if self.token:
            address += '?token=' + urllib.parse.quote(self.token)
        return address

    def _host_is_local(self, header):
        if not header:
            return False
        name = header.strip().lower()
        if name.startswith('['):
            name = name[:name.find(']') + 1]
        else:
            name = name.rsplit(':', 1)[0]
        return name in LOCAL_NAMES or name == self.host.lower()

    def given_token(self, headers, query):
        """The token a request carries: address, header or cookie."""
        values = urllib.parse.parse_qs(query).get('token')
        if values:
            return values[0], True
        authorization = headers.get('Authorization') or ''
        if authorization.lower().startswith('bearer '):
            return authorization[7:].strip(), False
        cookie = http.cookies.SimpleCookie()
        try:
            cookie.load(headers.get('Cookie') or '')
        except http.cookies.CookieError:
            return None, False
        if COOKIE in cookie:
            return cookie[COOKIE].value, False
        return None, False

    def check(self, headers, query):
        """``(allowed, token_in_address)``."""
        if not self.token:
            return self._host_is_local(headers.get('Host')), False
        given, in_address = self.given_token(headers, query)
        if given is None:
            return False, False
        allowed = hmac.compare_digest(given.encode('utf-8'),
                                      self.token.encode('utf-8'))
        return allowed, in_address and allowed

    def cookie_header(self):
        return ('%s=%s; Path=/; HttpOnly; SameSite=Strict'
                % (COOKIE, self.token))
