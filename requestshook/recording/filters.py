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


"""``should_not_hook.json``: calls that are not recorded.

The file holds ``{"filters": [...]}`` or a bare list of filters.  A filter
is an object naming any of::

    "from"    caller service name(s)            (case-insensitive)
    "to"      callee service name(s)            (case-insensitive)
    "method"  HTTP method(s)                    (case-insensitive)
    "urls"    path template(s)
    "rpc_method"  RPC method name(s)            (case-insensitive)
    "root"    true: only a call that starts a flow (no parent)

each a string or a list of strings (a list matches any of its items).
``root`` keeps a filter to calls made outside any other call: a
daemon's periodic work (nova-compute's resource updates, say) and not the
same calls made inside a boot.  A
filter drops a call when every field it names matches.  A path template
matches a path from its start up to a segment boundary, ``{name}``
standing for exactly one segment: ``/identity/{version}/limits`` matches
``/identity/v3/limits`` and ``/identity/v3/limits/x`` but not
``/identity/v3/limits_x``; ``/identity/`` matches ``/identity`` and
everything below it.

RPC hops (oslo.messaging, see :mod:`requestshook.capture.rpc`) are asked
with their kind, ``CALL`` or ``CAST``, as the method and their
``rpc://<exchange>/<topic>[.<server>]/<method>`` url: ``from`` and ``to``
match them as they match HTTP calls, ``method`` matches ``call`` or
``cast``, ``rpc_method`` the RPC method name (and never an HTTP call).

Templates are compiled to regular expressions when the file is loaded;
nothing is parsed per call.

A filter naming no field, an unknown field (a typo such as ``"form"``
would otherwise widen the filter to every caller) or a template not
starting with ``/`` makes the whole file invalid.
"""

import json
import re

FIELDS = ('from', 'to', 'method', 'urls', 'rpc_method', 'root')
RPC_SCHEME = 'rpc://'

_PLACEHOLDER = re.compile(r'\{[^{}/]*\}')


class FilterError(ValueError):
    """The filters file is not valid."""


def compile_template(template):
    """A regular expression matching the paths ``template`` covers."""
    if not isinstance(template, str) or not template.startswith('/'):
        raise FilterError('url template %r does not start with "/"'
                          % (template,))
    template = template.rstrip('/')
    pattern = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(template):
        pattern.append(re.escape(template[position:placeholder.start()]))
        pattern.append('[^/]+')
        position = placeholder.end()
    pattern.append(re.escape(template[position:]))
    return ''.join(pattern)


def _names(field, value, lower=True):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or \
            not all(isinstance(item, str) for item in value):
        raise FilterError('"%s" must be a string or a non-empty list of '
                          'strings, not %r' % (field, value))
    if lower:
        return frozenset(item.lower() for item in value)
    return value


class Filter(object):
    """One compiled filter."""

    __slots__ = ('callers', 'callees', 'methods', 'paths', 'rpc_methods',
                 'root_only', 'source')

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise FilterError('a filter must be an object, not %r' % (spec,))
        unknown = sorted(set(spec) - set(FIELDS))
        if unknown:
            raise FilterError('unknown filter field(s) %s in %r (known: %s)'
                              % (', '.join(unknown), spec,
                                 ', '.join(FIELDS)))
        if not spec:
            raise FilterError('a filter names no field: it would drop '
                              'every call')
        self.source = spec
        self.callers = _names('from', spec['from']) \
            if 'from' in spec else None
        self.callees = _names('to', spec['to']) if 'to' in spec else None
        self.methods = _names('method', spec['method']) \
            if 'method' in spec else None
        self.rpc_methods = _names('rpc_method', spec['rpc_method']) \
            if 'rpc_method' in spec else None
        root = spec.get('root', False)
        if not isinstance(root, bool):
            raise FilterError('"root" must be true or false in %r' % (spec,))
        self.root_only = root
        self.paths = None
        if 'urls' in spec:
            templates = _names('urls', spec['urls'], lower=False)
            alternatives = '|'.join(compile_template(template)
                                    for template in templates)
            self.paths = re.compile('(?:%s)(?:/|$)' % alternatives)

    def matches(self, caller, callee, method, path, rpc_method=None,
                root=False):
        """All arguments but ``path`` already lower case.

        ``rpc_method`` is the RPC method name of an RPC hop, else None;
        ``root`` says the call has no parent.
        """
        if self.root_only and not root:
            return False
        if self.callers is not None and caller not in self.callers:
            return False
        if self.callees is not None and callee not in self.callees:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        if self.paths is not None and not self.paths.match(path):
            return False
        if self.rpc_methods is not None and \
                rpc_method not in self.rpc_methods:
            return False
        return True


class Filters(object):
    """A compiled filter list."""

    def __init__(self, specs=()):
        self._filters = tuple(Filter(spec) for spec in specs)

    def __len__(self):
        return len(self._filters)

    def __bool__(self):
        return bool(self._filters)

    def drops(self, caller, callee, method, path, root=False):
        """True when a filter drops this call.

        ``path`` is the URL path including any mount prefix
        (``/identity/v3/auth/tokens``); a query string or a whole URL is
        accepted and reduced to the path.
        """
        if not self._filters:
            return False
        caller = (caller or '').lower()
        callee = (callee or '').lower()
        method = (method or '').lower()
        rpc_method = None
        if path and path.startswith(RPC_SCHEME):
            rpc_method = path.rsplit('/', 1)[-1].lower()
        path = _path_of(path or '/')
        for one in self._filters:
            if one.matches(caller, callee, method, path, rpc_method, root):
                return True
        return False


def _path_of(path):
    if '://' in path:
        path = path.split('://', 1)[1]
        slash = path.find('/')
        path = path[slash:] if slash >= 0 else '/'
    for mark in '?#':
        cut = path.find(mark)
        if cut >= 0:
            path = path[:cut]
    return path or '/'


def parse(text):
    """:class:`Filters` from the text of a filters file."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise FilterError('not JSON: %s' % exc)
    if isinstance(document, dict):
        extra = sorted(set(document) - {'filters'})
        if 'filters' not in document or extra:
            raise FilterError('expected {"filters": [...]} or a list of '
                              'filters')
        document = document['filters']
    if not isinstance(document, list):
        raise FilterError('expected {"filters": [...]} or a list of filters')
    return Filters(document)


def load(path):
    """:class:`Filters` from a file; ``OSError`` or ``FilterError``."""
    with open(path, 'rb') as stream:
        data = stream.read()
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as exc:
        raise FilterError('not UTF-8: %s' % exc)
    return parse(text)
