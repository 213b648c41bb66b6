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

"""The opt-in startup hook for processes with no paste pipeline.

``requestshook.pth``, installed into site-packages with the package, runs
at every interpreter start and does nothing but look at one environment
variable; only when ``REQUESTSHOOK_ENABLE`` is set does it import this
module and call :func:`install`::

    REQUESTSHOOK_ENABLE=nova-compute    record as nova-compute
    REQUESTSHOOK_ENABLE=1               name from the script (openstack,
                                        nova-scheduler, python...)
    REQUESTSHOOK_LOG_FILE=~/x.log       write there instead of the
                                        configured log_file
    REQUESTSHOOK_CONFIG=/path/conf      another configuration file

:func:`install` costs two wrapt post-import hooks: requestshook's capture
core (and oslo.config) is only loaded when the process imports
``requests`` or ``oslo_messaging``, and never in a process that imports
neither.  The RPC hook (:mod:`requestshook.capture.rpc`) is installed
with the outbound hook.
"""

import os
import sys
import threading

ENABLE_ENV = 'REQUESTSHOOK_ENABLE'
LOG_FILE_ENV = 'REQUESTSHOOK_LOG_FILE'
CONFIG_ENV = 'REQUESTSHOOK_CONFIG'
# Values of REQUESTSHOOK_ENABLE that mean "on, name from the process".
ON_VALUES = frozenset(['1', 'true', 'yes', 'on'])
OFF_VALUES = frozenset(['', '0', 'false', 'no', 'off'])

_lock = threading.Lock()
_installed = []


def wanted(environ=None):
    """Whether the environment asks for the hook."""
    environ = os.environ if environ is None else environ
    return environ.get(ENABLE_ENV, '').strip().lower() not in OFF_VALUES


def service_name(environ=None):
    """The name asked for in ``REQUESTSHOOK_ENABLE``, or None."""
    environ = os.environ if environ is None else environ
    value = environ.get(ENABLE_ENV, '').strip()
    if value.lower() in ON_VALUES or value.lower() in OFF_VALUES:
        return None
    return value


def overrides(environ=None):
    """Options the environment overrides (``REQUESTSHOOK_LOG_FILE``)."""
    environ = os.environ if environ is None else environ
    log_file = environ.get(LOG_FILE_ENV, '').strip()
    return {'log_file': log_file} if log_file else {}


def install(environ=None):
    """Enable the hooks when ``requests`` or ``oslo_messaging`` is imported.

    Returns True when the hook was (or already is) set up.
    """
    environ = os.environ if environ is None else environ
    if not wanted(environ):
        return False
    with _lock:
        if _installed:
            return True
        _installed.append(True)
    name = service_name(environ)
    options = overrides(environ)
    config_file = environ.get(CONFIG_ENV) or None

    enabled = []

    def enable(module):
        with _lock:
            if enabled:
                return
            enabled.append(True)
        try:
            from requestshook.capture import outbound
            from requestshook.capture import rpc
            outbound.enable(service_name=name, config_file=config_file,
                            overrides=options)
            rpc.install()
        except Exception as exc:
            sys.stderr.write('requestshook: the startup hook failed: '
                             '%s: %s\n' % (type(exc).__name__, exc))

    import wrapt
    wrapt.register_post_import_hook(enable, 'requests')
    wrapt.register_post_import_hook(enable, 'oslo_messaging')
    return True


def run_from_pth():
    """What ``requestshook.pth`` calls; never raises into the start-up."""
    try:
        install()
    except Exception as exc:
        sys.stderr.write('requestshook: the startup hook failed: %s: %s\n'
                         % (type(exc).__name__, exc))
