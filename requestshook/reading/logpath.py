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

"""Where the shared log lives, as a reader or ``record`` finds it.

Standard library only: the reading side uses it and must not import the
capture side (oslo.config).  The ``log_file`` option is read with
configparser, which reads the ``[DEFAULT]`` section of requestshook.conf
as oslo.config does.
"""

import configparser
import os

DEFAULT_LOG = '/var/log/requestshook/requestshook.log'
DEFAULT_CONFIG = '/etc/requestshook/requestshook.conf'
LOG_FILE_ENV = 'REQUESTSHOOK_LOG_FILE'
CONFIG_ENV = 'REQUESTSHOOK_CONFIG'


def state_log_file(environ=None):
    """The per-user log ``record`` falls back to (XDG state dir)."""
    environ = os.environ if environ is None else environ
    state = environ.get('XDG_STATE_HOME') or os.path.join(
        os.path.expanduser('~'), '.local', 'state')
    return os.path.join(state, 'requestshook', 'requestshook.log')


def configured_log_file(config_file=None, environ=None):
    """``log_file`` of the config file, or the default when it names none.

    ``config_file`` None means ``$REQUESTSHOOK_CONFIG``, else
    /etc/requestshook/requestshook.conf.  An unreadable or broken file
    counts as naming none.
    """
    environ = os.environ if environ is None else environ
    path = config_file or environ.get(CONFIG_ENV) or DEFAULT_CONFIG
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(path, encoding='utf-8')
    except (configparser.Error, OSError, UnicodeDecodeError):
        return DEFAULT_LOG
    value = parser.defaults().get('log_file', '').strip()
    return value or DEFAULT_LOG


def log_to_read(environ=None):
    """The log a reader opens when it is given none.

    ``$REQUESTSHOOK_LOG_FILE``, else the configured ``log_file``; when
    that file does not exist but ``record``'s per-user fallback does, the
    fallback.
    """
    environ = os.environ if environ is None else environ
    if environ.get(LOG_FILE_ENV, '').strip():
        return environ[LOG_FILE_ENV].strip()
    configured = configured_log_file(environ=environ)
    if not os.path.exists(configured):
        fallback = state_log_file(environ)
        if os.path.exists(fallback):
            return fallback
    return configured
