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


"""Read requestshook's configuration into an immutable :class:`Settings`.

A private ``ConfigOpts`` is built for each load: the service's global
``CONF`` is never touched, ``sys.argv`` is never parsed (keystone under
gunicorn shows what happens when it is) and the environment is not read
(``OS_DEFAULT__LOG_FILE`` meant for the service must not move our log).
"""

import dataclasses
import os
import typing

from oslo_config import cfg

from requestshook.recording import opts
from requestshook.recording import servicemap


class SettingsError(Exception):
    """The configuration file cannot be used."""


class ConfigMissing(SettingsError):
    """The configuration file that must be there is not."""


@dataclasses.dataclass(frozen=True)
class Settings(object):
    """One snapshot of requestshook's configuration."""

    enabled: bool = True
    service_name: typing.Optional[str] = None
    log_file: str = '/var/log/requestshook/requestshook.log'
    log_group: typing.Optional[str] = None
    max_body_bytes: int = 65536
    filters_file: str = '/etc/requestshook/should_not_hook.json'
    # Added to the built-in lists (redact_keys); the unredacted_* ones
    # remove built-in names.
    redact_headers: tuple = ()
    redact_body_keys: tuple = ()
    unredacted_headers: tuple = ()
    unredacted_body_keys: tuple = ()
    url_map: tuple = tuple(opts.DEFAULT_URL_MAP)
    sinks: tuple = ('file',)
    redis_stream: str = 'requestshook'
    redis_maxlen: int = 1000000
    otlp_endpoint: str = 'http://127.0.0.1:4318/v1/traces'
    otlp_headers: tuple = ()
    sink_queue_size: int = 10000
    sink_flush_timeout: float = 2.0
    emit_traceparent: bool = False
    # The file these settings were read from; None when none was.
    config_file: typing.Optional[str] = None


OPTION_NAMES = frozenset(opt.dest for opt in opts.requestshook_opts)


def named_config_file():
    """``$REQUESTSHOOK_CONFIG``, or None when it is not set."""
    return os.environ.get(opts.CONFIG_FILE_ENV) or None


def default_config_file():
    """``$REQUESTSHOOK_CONFIG``, else ``/etc/requestshook/...conf``."""
    return named_config_file() or opts.DEFAULT_CONFIG_FILE


def file_signature(path):
    """What tells a changed file: ``(dev, inode, size, mtime)`` or None."""
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def load(config_file=None, overrides=None, on_bad_override=None,
         required=False):
    """:class:`Settings` from ``config_file`` (if it exists) + overrides.

    ``overrides`` maps option names to values, strings (a paste filter's
    local conf) or of the option's type; names that are not requestshook
    options and None values are ignored.  An
    override whose value does not convert is skipped and passed to
    ``on_bad_override(name, value, error)``.  Raises
    :class:`SettingsError` when the file exists but cannot be used, and
    :class:`ConfigMissing` when it does not exist and is ``required``.
    """
    path = config_file
    files = []
    if path:
        try:
            os.stat(path)
            files = [path]
        except FileNotFoundError:
            if required:
                raise ConfigMissing('%s does not exist' % path)
        except OSError as exc:
            raise SettingsError('%s: %s' % (path, exc))
    conf = cfg.ConfigOpts()
    conf.register_opts(opts.requestshook_opts)
    try:
        conf(args=[], project='requestshook', prog='requestshook',
             default_config_files=files, default_config_dirs=[],
             use_env=False)
    except (cfg.Error, OSError, ValueError) as exc:
        raise SettingsError('%s: %s' % (path, exc))
    for name, value in sorted((overrides or {}).items()):
        if name not in OPTION_NAMES or value is None:
            continue
        try:
            conf.set_override(name, value)
            if name == 'url_map':
                for entry in conf.url_map or ():
                    servicemap.parse_entry(entry)
        except (ValueError, TypeError) as exc:
            conf.clear_override(name)
            if on_bad_override is not None:
                on_bad_override(name, value, exc)
    try:
        values = {name: getattr(conf, name) for name in OPTION_NAMES}
        for entry in values['url_map'] or ():
            servicemap.parse_entry(entry)
    except (cfg.Error, ValueError) as exc:
        raise SettingsError('%s: %s' % (path, exc))
    finally:
        conf.reset()
    return Settings(
        enabled=bool(values['enabled']),
        service_name=(values['service_name'] or '').strip() or None,
        log_file=values['log_file'] or Settings.log_file,
        log_group=(values['log_group'] or '').strip() or None,
        max_body_bytes=values['max_body_bytes'],
        filters_file=values['filters_file'] or '',
        redact_headers=tuple(values['redact_headers'] or ()),
        redact_body_keys=tuple(values['redact_body_keys'] or ()),
        unredacted_headers=tuple(values['unredacted_headers'] or ()),
        unredacted_body_keys=tuple(values['unredacted_body_keys'] or ()),
        url_map=tuple(values['url_map'] or ()),
        sinks=tuple(item.strip() for item in values['sinks'] or ()
                    if item.strip()),
        redis_stream=values['redis_stream'] or Settings.redis_stream,
        redis_maxlen=values['redis_maxlen'],
        otlp_endpoint=values['otlp_endpoint'] or Settings.otlp_endpoint,
        otlp_headers=tuple(values['otlp_headers'] or ()),
        sink_queue_size=values['sink_queue_size'],
        sink_flush_timeout=values['sink_flush_timeout'],
        emit_traceparent=bool(values['emit_traceparent']),
        config_file=files[0] if files else None,
    )
