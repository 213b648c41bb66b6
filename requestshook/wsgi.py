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

"""A WSGI entry point for services with no paste file.

Keystone (a Flask app since Stein) and placement build their middleware in
code, so there is no ``api-paste.ini`` to add the filter to.  Serve this
module instead; it imports the service's application and wraps it in the
requestshook middleware::

    # uwsgi ini
    module = requestshook.wsgi:application
    env = REQUESTSHOOK_WSGI_APP=keystone.wsgi.api:application

    # gunicorn
    REQUESTSHOOK_WSGI_APP=keystone.wsgi.api:application \\
        gunicorn requestshook.wsgi:application

``REQUESTSHOOK_WSGI_APP`` names the wrapped application as
``package.module:attribute`` (``:application`` when left out);
``REQUESTSHOOK_SERVICE_NAME`` the name recorded (by default from the
application: ``keystone``, ``placement-api``, else its top package).

While the application is imported, ``sys.argv`` holds the program name
only: keystone hands ``sys.argv`` to oslo.config, which rejects the
server's own options (gunicorn's ``-b``, ``--workers``...).

The application is built when this module is imported with
``REQUESTSHOOK_WSGI_APP`` set (uwsgi reads ``application`` from the
module's dict).  A WSGI file of your own can call :func:`make_application`
instead.
"""

import importlib
import os
import sys

from requestshook.capture import identity

APP_ENV = 'REQUESTSHOOK_WSGI_APP'
SERVICE_NAME_ENV = 'REQUESTSHOOK_SERVICE_NAME'


class ConfigurationError(Exception):
    """No application, or one that cannot be imported."""


def load_target(target):
    """The object ``package.module:attribute`` names, argv hidden."""
    module_name, _, attribute = target.partition(':')
    if not module_name:
        raise ConfigurationError('no application given (%s=%r)'
                                 % (APP_ENV, target))
    saved = sys.argv
    sys.argv = saved[:1] or ['requestshook-wsgi']
    try:
        module = importlib.import_module(module_name)
    finally:
        sys.argv = saved
    found = module
    for part in (attribute or 'application').split('.'):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise ConfigurationError('%s has no %s' % (module_name, part))
    return found


def default_service_name(target):
    """``keystone`` for ``keystone.wsgi.api:application``."""
    module_name = target.partition(':')[0]
    known = identity.KNOWN_APPLICATIONS.get(module_name)
    if known:
        return known
    return module_name.split('.')[0] or None


def make_application(target, service_name=None, **options):
    """The application ``target`` names, wrapped in the middleware.

    ``target`` is a ``module:attribute`` string or a WSGI application;
    ``options`` are requestshook options (``log_file``, ``config_file``,
    ...) as a paste filter would take them.
    """
    from requestshook.capture import middleware
    if isinstance(target, str):
        name = service_name or default_service_name(target)
        app = load_target(target)
    else:
        name = service_name
        app = target
    conf = dict(options)
    if name:
        conf['service_name'] = name
    return middleware.RequestsHook(app, conf)


def application_from_environment(environ):
    target = (environ.get(APP_ENV) or '').strip()
    if not target:
        raise ConfigurationError(
            'set %s to the application to serve, e.g. '
            'keystone.wsgi.api:application' % APP_ENV)
    return make_application(
        target, (environ.get(SERVICE_NAME_ENV) or '').strip() or None)


def __getattr__(name):
    # Only reached when the module was imported without the variable.
    if name == 'application':
        return application_from_environment(os.environ)
    raise AttributeError(name)


if os.environ.get(APP_ENV):
    # Built at import: uwsgi looks ``application`` up in the module's
    # dict, where a module __getattr__ is never asked.
    application = application_from_environment(os.environ)
