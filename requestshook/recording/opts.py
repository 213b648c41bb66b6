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


"""The options of ``/etc/requestshook/requestshook.conf``.

They live in the ``[DEFAULT]`` section of requestshook's own file, read by
a private ``ConfigOpts`` (see :mod:`requestshook.recording.settings`),
never by the service's global ``CONF``.  The same names are accepted as
options of the paste filter (``[filter:requestshook]``), where they win
over the file.

``list_opts`` feeds ``oslo-config-generator`` through the
``oslo.config.opts`` entry point (namespace ``requestshook``).
"""

import copy

from oslo_config import cfg

from requestshook.recording import redact_keys

DEFAULT_CONFIG_FILE = '/etc/requestshook/requestshook.conf'
CONFIG_FILE_ENV = 'REQUESTSHOOK_CONFIG'

# The built-in lists and where each entry comes from: redact_keys.
DEFAULT_REDACT_HEADERS = list(redact_keys.DEFAULT_HEADERS)
DEFAULT_REDACT_BODY_KEYS = list(redact_keys.DEFAULT_BODY_KEYS)

DEFAULT_URL_MAP = [
    ':8080=swift-proxy-server',
    '/identity=keystone',
    '/image=glance-api',
    '/compute=nova-api',
    '/volume=cinder-api',
    '/placement=placement-api',
    ':9696=neutron-server',
    ':5000=keystone',
    ':9292=glance-api',
    ':8774=nova-api',
    ':8776=cinder-api',
    ':8778=placement-api',
]

requestshook_opts = [
    cfg.BoolOpt('enabled',
                default=True,
                help='Record HTTP calls.  When false the paste filter and '
                     'the outbound hook pass every call through untouched '
                     'and write nothing.  Takes effect without a restart '
                     '(the file is re-checked at most once a second).'),
    cfg.StrOpt('service_name',
               help='Name of this service in the log and in the '
                    'X-Requestshook-Request-From header, e.g. glance-api.  '
                    'Usually set per service as an option of the paste '
                    'filter.  When unset, the name is derived from the '
                    'process (uwsgi/gunicorn application name, program '
                    'name).'),
    cfg.StrOpt('log_file',
               default='/var/log/requestshook/requestshook.log',
               help='The shared log every hooked process appends to, one '
                    'JSON event a line.  Its directory is created 0750 '
                    '(2770 with log_group) and the file 0640 (0660 with '
                    'log_group).  The file is reopened when logrotate '
                    'moves it.'),
    cfg.StrOpt('log_group',
               help='Group that may append to and read the shared log, '
                    'for services running as different users (glance, '
                    'nova, swift, keystone).  A directory requestshook '
                    'creates is then setgid 2770 of this group and the '
                    'file 0660 of this group.  Every service user must be '
                    'a member.'),
    cfg.IntOpt('max_body_bytes',
               default=65536,
               min=0,
               help='Bytes kept of each request and response body (its '
                    'head); the rest is streamed through and only '
                    'counted.  0 keeps no body bytes.'),
    cfg.StrOpt('filters_file',
               default='/etc/requestshook/should_not_hook.json',
               help='JSON file of filters dropping calls that should not '
                    'be recorded (by caller, callee, method and URL '
                    'template).  A missing file means no filter.  '
                    'Reloaded without a restart when it changes; a broken '
                    'file is reported once and the last good filters '
                    'stay.'),
    cfg.ListOpt('redact_headers',
                default=[],
                help='Headers (any case) whose values are never written, '
                     'in addition to the built-in list (Authorization, '
                     'X-Auth-Token, X-Subject-Token, X-Service-Token, '
                     'swift\'s keys and temp URL keys, '
                     'X-Metadata-Provider-Signature, Cookie, ...; see '
                     'doc/source/configuration.rst): setting this never '
                     'puts a built-in header in clear.  The log shows '
                     '{SHA256}<first 16 hex digits of the digest> '
                     'instead, as keystoneauth does, so a token issued in '
                     'X-Subject-Token can still be recognised when it is '
                     'used as X-Auth-Token.  A header whose name holds key '
                     'or pass (X-Auth-Key) shows ***; Authorization keeps '
                     'its scheme (Basic ***, Bearer {SHA256}...).'),
    cfg.ListOpt('redact_body_keys',
                default=[],
                help='Keys (any case) whose values in bodies are written '
                     'as "***", in addition to the built-in list '
                     '(oslo.utils\' strutils._SANITIZE_KEYS plus '
                     'auth_key, payload, access_key, keyring, signature, '
                     'oauth_verifier, blob, psk, ...; see '
                     'doc/source/configuration.rst): setting this never '
                     'puts a built-in key in clear.  At any depth; a key '
                     'also matches as the last part of a key joined with '
                     '"_": password covers auth_password and '
                     'ipmi_password.  A key ending in token (token covers '
                     'access_token) is written in the {SHA256} form of '
                     'the token headers, and so is the id of an object '
                     'under it.  Text bodies (truncated JSON, form data, '
                     'XML, HTML, YAML, INI) and URLs (query parameters, '
                     'also percent-encoded) are scrubbed for the same '
                     'keys.'),
    cfg.ListOpt('unredacted_headers',
                default=[],
                help='Built-in redacted headers to write in clear after '
                     'all (any case).  The one way to remove a default; '
                     'meant for a private test log.'),
    cfg.ListOpt('unredacted_body_keys',
                default=[],
                help='Built-in secret body keys to write in clear after '
                     'all (any case).  The one way to remove a default; '
                     'meant for a private test log.'),
    cfg.ListOpt('url_map',
                default=DEFAULT_URL_MAP,
                help='How the outbound hook names the service a URL '
                     'belongs to.  Each entry is MATCH=SERVICE, where '
                     'MATCH is [HOST][:PORT][/PATH]: at least one of a '
                     'host, a port (:8080) or a path prefix (/identity, '
                     'matched on segment boundaries).  The most specific '
                     'matching entry wins (longest path, then port, then '
                     'host).  A URL no entry matches is named HOST:PORT.  '
                     'The defaults are devstack\'s.'),
]

sink_opts = [
    cfg.ListOpt('sinks',
                default=['file'],
                help='Where events go; several at once, comma separated.  '
                     '"file" is the shared log_file (the default and the '
                     'safest).  "redis://[:PASSWORD@]HOST:PORT/DB" '
                     '(also rediss://, unix://PATH?db=N, '
                     'redis+sentinel://[:PASSWORD@]HOST:PORT[;HOST:PORT]'
                     '/SERVICE[/DB] and redis+cluster://HOST:PORT) adds '
                     'every event to one Redis stream (XADD, see '
                     'redis_stream).  "otlp" sends one OpenTelemetry span '
                     'per hop side to otlp_endpoint (OTLP/HTTP protobuf). '
                     'Network sinks never block a request: events wait in '
                     'a bounded queue (sink_queue_size) for one sender '
                     'thread per process; when it is full they are '
                     'dropped, counted and reported once.  Events are '
                     'redacted before any sink sees them.  redis needs '
                     'the redis package, otlp the opentelemetry-proto '
                     'package.'),
    cfg.StrOpt('redis_stream',
               default='requestshook',
               help='The Redis stream the redis sink adds events to '
                    '(one entry per event, its JSON line in the field '
                    '"event").'),
    cfg.IntOpt('redis_maxlen',
               default=1000000,
               min=0,
               help='Cap of the Redis stream (XADD MAXLEN ~, approximate, '
                    'so Redis trims whole nodes cheaply); 0 means no cap.'),
    cfg.StrOpt('otlp_endpoint',
               default='http://127.0.0.1:4318/v1/traces',
               help='The OTLP/HTTP traces URL of the collector the otlp '
                    'sink posts to (protobuf).'),
    cfg.ListOpt('otlp_headers',
                default=[],
                help='Extra HTTP headers of every OTLP request, as '
                     'NAME=VALUE (e.g. an authorization token of the '
                     'collector).'),
    cfg.IntOpt('sink_queue_size',
               default=10000,
               min=1,
               help='Events each network sink holds while its sender '
                    'thread catches up or its server is unreachable; '
                    'beyond it, or beyond 64 MiB of them, new events '
                    'are dropped (counted and reported once).'),
    cfg.FloatOpt('sink_flush_timeout',
                 default=2.0,
                 min=0,
                 help='Seconds a process waits at exit for its network '
                      'sinks to send what they hold.'),
    cfg.BoolOpt('emit_traceparent',
                default=False,
                help='Also send a W3C traceparent header on outbound '
                     'calls (trace id = requestshook trace id, parent id '
                     'derived from the hop id), so services and '
                     'collectors instrumented with OpenTelemetry join '
                     'requestshook\'s traces.  A call arriving with '
                     'traceparent and no X-Requestshook ids continues '
                     'that trace whatever this option says.'),
]

requestshook_opts = requestshook_opts + sink_opts


def list_opts():
    """Options for oslo-config-generator (namespace ``requestshook``)."""
    return [('DEFAULT', copy.deepcopy(requestshook_opts))]
