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


"""Names of services: this process's own, and a caller's from its headers.

A service's name is configured (paste option or ``service_name``) where it
can be; these are the fall-backs.  They never raise, whatever the headers
or the process look like.
"""

import os
import re
import sys

# WSGI scripts and modules devstack serves, by the names the url_map uses.
KNOWN_APPLICATIONS = {
    'keystone-wsgi-public': 'keystone',
    'keystone-wsgi-admin': 'keystone',
    'keystone.wsgi.api': 'keystone',
    'glance-wsgi-api': 'glance-api',
    'glance.wsgi.api': 'glance-api',
    'nova-api-wsgi': 'nova-api',
    'nova.wsgi.osapi_compute': 'nova-api',
    'nova-metadata-wsgi': 'nova-metadata',
    'nova.wsgi.metadata': 'nova-metadata',
    'cinder-wsgi': 'cinder-api',
    'cinder.wsgi.api': 'cinder-api',
    'placement-api': 'placement-api',
    'placement.wsgi.api': 'placement-api',
    'neutron-api': 'neutron-server',
    'neutron.wsgi.api': 'neutron-server',
}

# User-Agent products that name a caller better than the first token:
# keystonemiddleware's agent is "<project>/<version>
# keystonemiddleware.auth_token/<version> keystoneauth1/...".
PREFERRED_PRODUCT_PREFIXES = ('keystonemiddleware.',)

# User-Agent products whose service has another name in the url_map.
PRODUCT_ALIASES = {
    'proxy-server': 'swift-proxy-server',
}

MAX_NAME = 64
_NOT_NAME = re.compile(r'[^A-Za-z0-9._+-]')


def clean_name(value):
    """``value`` reduced to a short, printable name; ``None`` if nothing."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode('latin-1')
    name = _NOT_NAME.sub('', str(value)[:4 * MAX_NAME])[:MAX_NAME]
    return name or None


def caller_from_user_agent(user_agent):
    """The caller's name from a ``User-Agent``: its first product, unversioned.

    ``openstacksdk/0.103.0 keystoneauth1/5.1.0 python-requests/2.28.1``
    gives ``openstacksdk``; keystonemiddleware's agent (which may start
    with the service's project) gives ``keystonemiddleware.auth_token``;
    swift's ``proxy-server 4242`` gives ``swift-proxy-server``.
    """
    try:
        if isinstance(user_agent, bytes):
            user_agent = user_agent.decode('latin-1')
        if not isinstance(user_agent, str):
            return None
        tokens = user_agent[:1024].split()
        products = [token.split('/', 1)[0] for token in tokens]
        for product in products:
            if product.startswith(PREFERRED_PRODUCT_PREFIXES):
                return clean_name(product)
        if not products:
            return None
        name = clean_name(products[0])
        return PRODUCT_ALIASES.get(name, name)
    except Exception:
        return None


def _known(name):
    return KNOWN_APPLICATIONS.get(name, name)


def _opt(options, key):
    value = options.get(key)
    if value is None:
        value = options.get(key.encode('ascii'))
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    return value


def _uwsgi_name(uwsgi):
    options = getattr(uwsgi, 'opt', None) or {}
    for key in ('procname', 'procname-prefix-spaced', 'procname-prefix'):
        name = clean_name(_opt(options, key))
        if name:
            return name
    wsgi_file = _opt(options, 'wsgi-file')
    if wsgi_file:
        return clean_name(_known(_script_name(wsgi_file)))
    paste = _opt(options, 'paste')
    if paste:
        return _paste_name(paste.split(':', 1)[-1])
    module = _opt(options, 'module') or _opt(options, 'wsgi')
    if module:
        return clean_name(_known(module.split(':', 1)[0]))
    return None


def _gunicorn_name(argv):
    paste = None
    app = None
    args = iter(argv[1:])
    for arg in args:
        if arg in ('-n', '--name'):
            return clean_name(next(args, None))
        if arg.startswith('--name='):
            return clean_name(arg.split('=', 1)[1])
        if arg == '--paste':
            paste = next(args, None)
        elif arg.startswith('--paste='):
            paste = arg.split('=', 1)[1]
        elif arg in ('-c', '--config', '-b', '--bind', '-w', '--workers',
                     '-k', '--worker-class', '--threads', '-t', '--timeout',
                     '--log-level', '--error-logfile', '--access-logfile',
                     '-p', '--pid', '--chdir', '-e', '--env'):
            next(args, None)
        elif not arg.startswith('-') and app is None:
            app = arg
    if paste:
        return _paste_name(paste)
    if app:
        return clean_name(_known(app.split(':', 1)[0]))
    return None


def _paste_name(path):
    name = _script_name(path)
    for suffix in ('-paste', '_paste'):
        if name.endswith(suffix):
            name = name[:-len(suffix)]
    return clean_name(name)


def _script_name(path):
    base = os.path.basename(path.rstrip('/'))
    if base in ('__main__.py', '__init__.py'):
        base = os.path.basename(os.path.dirname(path.rstrip('/')))
    for suffix in ('.py', '.ini', '.wsgi'):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
    return base


def service_name(argv=None, modules=None):
    """This process's service name when none is configured.

    uwsgi's procname or application, gunicorn's ``--name`` or
    application, else the script's name (``glance-api``, ``openstack``,
    ``nova-compute``; ``python -m pkg`` gives ``pkg``).
    """
    try:
        modules = sys.modules if modules is None else modules
        argv = list(getattr(sys, 'argv', None) or []) if argv is None \
            else list(argv)
        name = None
        if 'uwsgi' in modules:
            name = _uwsgi_name(modules['uwsgi'])
        script = _script_name(argv[0]) if argv and argv[0] else ''
        if not name and 'gunicorn' in modules and \
                script.startswith('gunicorn'):
            name = _gunicorn_name(argv) or 'gunicorn'
        if not name and script and script != '-c':
            name = clean_name(_known(script))
        return name or 'python'
    except Exception:
        return 'python'
