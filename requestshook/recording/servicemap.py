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


"""Name the service a URL belongs to, from the ``url_map`` option.

Each entry is ``MATCH=SERVICE`` where ``MATCH`` is ``[HOST][:PORT][/PATH]``
with at least one part::

    :8080=swift-proxy-server          any host, port 8080
    /identity=keystone                any host and port, path /identity...
    10.0.0.5:5000=keystone            that host and port
    ctl1/image=glance-api             host ctl1 (any port), path /image...
    [::1]:9292=glance-api             IPv6 hosts in brackets

A path prefix matches on segment boundaries: ``/image`` matches
``/image`` and ``/image/v2/images`` but not ``/images``.  Host names
compare case-insensitively; a URL without a port has its scheme's default
port (80 or 443).  The most specific match wins: the longest path prefix,
then an entry naming a port, then one naming a host.  A URL that no entry
matches is named ``HOST:PORT``.
"""

import urllib.parse

DEFAULT_PORTS = {'http': 80, 'https': 443}


class Entry(object):
    __slots__ = ('host', 'port', 'path', 'service')

    def __init__(self, host, port, path, service):
        self.host = host
        self.port = port
        self.path = path
        self.service = service

    @property
    def specificity(self):
        return (len(self.path) if self.path is not None else -1,
                self.port is not None, self.host is not None)

    def matches(self, host, port, path):
        if self.port is not None and self.port != port:
            return False
        if self.host is not None and self.host != host:
            return False
        if self.path is not None and self.path:
            if not path.startswith(self.path):
                return False
            rest = path[len(self.path):]
            if rest and rest[0] != '/':
                return False
        return True

    def __repr__(self):
        return 'Entry(%r, %r, %r, %r)' % (self.host, self.port, self.path,
                                          self.service)


def parse_entry(text):
    """An :class:`Entry` from ``MATCH=SERVICE``; ``ValueError`` if bad."""
    match, sep, service = text.strip().rpartition('=')
    match = match.strip()
    service = service.strip()
    if not sep or not match or not service:
        raise ValueError('url_map entry %r is not MATCH=SERVICE' % text)
    path = None
    slash = match.find('/')
    if slash >= 0:
        path = match[slash:].rstrip('/')
        match = match[:slash]
    host = port = None
    if match.startswith('['):
        end = match.find(']')
        if end < 0:
            raise ValueError('url_map entry %r: unclosed [' % text)
        host = match[1:end]
        rest = match[end + 1:]
        if rest and not rest.startswith(':'):
            raise ValueError('url_map entry %r: bad host' % text)
        match = rest
    elif ':' not in match:
        host, match = match, ''
    else:
        host, _, port_text = match.partition(':')
        match = ':' + port_text
    if match.startswith(':'):
        try:
            port = int(match[1:])
        except ValueError:
            raise ValueError('url_map entry %r: bad port' % text)
        if not 0 < port < 65536:
            raise ValueError('url_map entry %r: bad port' % text)
    host = host.lower() if host else None
    if host is None and port is None and path is None:
        raise ValueError('url_map entry %r matches nothing' % text)
    return Entry(host, port, path, service)


class ServiceMap(object):
    """URL -> service name, from a list of ``MATCH=SERVICE`` entries."""

    def __init__(self, entries=()):
        parsed = [parse_entry(entry) if isinstance(entry, str) else entry
                  for entry in entries]
        # sorted() is stable: among equally specific entries the first
        # listed wins.
        self._entries = tuple(sorted(parsed, key=lambda e: e.specificity,
                                     reverse=True))

    @property
    def entries(self):
        return self._entries

    def lookup(self, url):
        """The service name for ``url``, else ``HOST:PORT``."""
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or '').lower()
        try:
            port = parts.port
        except ValueError:
            port = None
        if port is None:
            port = DEFAULT_PORTS.get(parts.scheme.lower())
        path = parts.path or '/'
        for entry in self._entries:
            if entry.matches(host, port, path):
                return entry.service
        shown = '[%s]' % host if ':' in host else host
        if port is None:
            return shown
        return '%s:%d' % (shown, port)
