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


"""The RPC hook: record each oslo.messaging call and cast.

:func:`install` registers wrapt post-import hooks; nothing of
oslo.messaging is imported here, and no file in site-packages is touched.
When (or as soon as) the process imports them it wraps:

- ``oslo_messaging.transport.Transport._send``: the one point every RPC
  call, cast and fanout cast goes through, after oslo's serializer made
  the context dict and the arguments JSON-able (see
  :mod:`requestshook.capture.rpc_client`);
- ``oslo_messaging.rpc.dispatcher.RPCDispatcher.dispatch``: where a
  server, whatever its executor, runs the endpoint method
  (see :mod:`requestshook.capture.rpc_server`);
- nova's ``thread_pool_factory.spawn_on`` (``utils.spawn``/``spawn_n`` in
  older nova): nova-compute runs ``build_and_run_instance`` on another
  thread; the hop being served goes with it.

The ids travel in the message, beside ``method`` and ``args``, under
:data:`MESSAGE_KEY`: every oslo.messaging dispatcher reads only the keys it
knows, so a receiver without requestshook behaves exactly as before, and
the context dict its endpoints get is untouched.

The hook uses the settings the outbound hook was installed with
(:mod:`requestshook.capture.hookstate`): its recorder, service name, trace
mode and HMAC keys.
"""

import json
import re
import threading

import wrapt

from requestshook.capture import hookstate
from requestshook.capture import identity
from requestshook.capture import trust
from requestshook import event
from requestshook.recording import redact
from requestshook.recording import report

PROTO = 'rpc'
CALL = 'CALL'
CAST = 'CAST'
MESSAGE_KEY = '_requestshook'
UNKNOWN_CALLER = 'unknown'

# Topics whose consumer has a better-known name than "<exchange>-<topic>".
TOPIC_SERVICES = {
    'conductor': 'nova-conductor',
    'scheduler': 'nova-scheduler',
    'compute': 'nova-compute',
    'q-plugin': 'neutron-server',
    'q-reports-plugin': 'neutron-server',
    'q-server-resource-versions': 'neutron-server',
    'dhcp_agent': 'neutron-dhcp-agent',
    'l3_agent': 'neutron-l3-agent',
    'metering_agent': 'neutron-metering-agent',
}
TOPIC_PREFIX_SERVICES = (
    ('q-agent-notifier-', 'neutron-agent'),
)

# Context fields shown as headers; nothing else of the context is logged.
CONTEXT_HEADERS = (
    ('request_id', 'X-Openstack-Request-Id'),
    ('global_request_id', 'X-Openstack-Global-Request-Id'),
    ('user_id', 'X-User-Id'),
    ('project_id', 'X-Project-Id'),
)
# RPC argument names holding a password that the redaction's body keys may
# not name (nova: set_admin_password/rebuild_instance new_pass,
# rescue_instance rescue_password, build_and_run_instance admin_password).
SECRET_ARGUMENT_SUFFIXES = ('pass', '_password', 'passwd')
# Matched whole (fullmatch): '$' also matches before a final newline.
_ID = re.compile(r'[A-Za-z0-9_.-]{1,64}')
_SAFE_VALUE = re.compile(r'[A-Za-z0-9_.:-]{1,128}')

_REPORTER = report.Reporter()
_lock = threading.Lock()
_installed = []


def internal_failure(where, exc):
    _REPORTER.failed(
        'rpc', (where, type(exc).__name__),
        'requestshook failed in the RPC hook (%s: %s: %s); the message '
        'goes on unrecorded.', where, type(exc).__name__, exc)


def install():
    """Wrap oslo.messaging (and nova's spawn) once imported; idempotent."""
    with _lock:
        if _installed:
            return
        _installed.append(True)
    wrapt.register_post_import_hook(_patch_transport,
                                    'oslo_messaging.transport')
    wrapt.register_post_import_hook(_patch_dispatcher,
                                    'oslo_messaging.rpc.dispatcher')
    wrapt.register_post_import_hook(_patch_server,
                                    'oslo_messaging.rpc.server')
    wrapt.register_post_import_hook(_patch_nova_pool,
                                    'nova.thread_pool_factory')
    wrapt.register_post_import_hook(_patch_nova_utils, 'nova.utils')


def _is_ours(function, wrapper):
    while function is not None:
        if getattr(function, '_self_wrapper', None) is wrapper:
            return True
        function = getattr(function, '__wrapped__', None)
    return False


def _wrap(module, owner_name, attribute, wrapper):
    owner = getattr(module, owner_name) if owner_name else module
    current = owner.__dict__.get(attribute) if owner_name else \
        getattr(module, attribute, None)
    if current is None or _is_ours(current, wrapper):
        return
    name = '%s.%s' % (owner_name, attribute) if owner_name else attribute
    wrapt.wrap_function_wrapper(module, name, wrapper)


def _patch_transport(module):
    from requestshook.capture import rpc_client
    _wrap(module, 'Transport', '_send', rpc_client.send)


def _patch_dispatcher(module):
    from requestshook.capture import rpc_server
    _wrap(module, 'RPCDispatcher', 'dispatch', rpc_server.dispatch)


def _patch_server(module):
    from requestshook.capture import rpc_server
    _wrap(module, 'RPCServer', '__init__', rpc_server.server_init)


def _patch_nova_pool(module):
    from requestshook.capture import rpc_server
    _wrap(module, None, 'spawn_on', rpc_server.spawn_on)


def _patch_nova_utils(module):
    from requestshook.capture import rpc_server
    # Older nova (eventlet) spawns here; nova 34 in thread_pool_factory.
    for name in ('spawn', 'spawn_n'):
        function = getattr(module, name, None)
        if getattr(function, '__module__', None) == module.__name__:
            _wrap(module, None, name, rpc_server.spawn)


# -- shared by both sides ----------------------------------------------------

def recorder():
    """The process's recorder when recording is on, else None."""
    current = hookstate._settings.recorder
    try:
        if current is not None and current.enabled():
            return current
    except Exception:
        pass
    return None


own_service_name = hookstate.own_service_name


def hmac_key():
    return hookstate._settings.hmac_key


def hmac_keys():
    # The keys that verify: those given with the signing key, first.
    key = hookstate._settings.hmac_key
    if not key:
        return ()
    keys = hookstate._settings.hmac_keys
    return keys if keys and keys[0] == key else (key,)


def one_trace():
    return hookstate._settings.one_trace


def emit(current, record):
    record['proto'] = PROTO
    hookstate.emit(current, record)


def response_event(side, hop_id, trace, parent, caller, callee, kind, url,
                   body, duration_ms):
    """An RPC ``response`` event: no status, no reason, no headers."""
    record = event.response_event(side, hop_id, trace, parent, caller,
                                  callee, kind, url, None, None, [], body,
                                  duration_ms)
    del record['status'], record['reason']
    return record


def service_for_topic(exchange, topic):
    """The service consuming ``topic``: nova-conductor, nova-compute..."""
    base = (topic or '').split('.', 1)[0]
    if not base:
        return UNKNOWN_CALLER
    known = TOPIC_SERVICES.get(base)
    if known:
        return known
    for prefix, service in TOPIC_PREFIX_SERVICES:
        if base.startswith(prefix):
            return service
    if not exchange or exchange == 'openstack' or \
            base.startswith(exchange + '-'):
        return base
    return '%s-%s' % (exchange, base)


def url_for(exchange, topic, server, method):
    """``rpc://<exchange>/<topic>[.<server>]/<method>``."""
    destination = topic or ''
    if server:
        destination = '%s.%s' % (destination, server)
    return 'rpc://%s/%s/%s' % (exchange or 'openstack', destination,
                               method or '')


def context_headers(ctxt):
    """The few safe context fields as header pairs; never a token."""
    headers = []
    if not isinstance(ctxt, dict):
        return headers
    for key, name in CONTEXT_HEADERS:
        value = ctxt.get(key)
        if value is None and key == 'user_id':
            value = ctxt.get('user')
        if value is None and key == 'project_id':
            value = ctxt.get('tenant')
        if isinstance(value, str) and _SAFE_VALUE.fullmatch(value):
            headers.append((name, value))
    return headers


def masked_arguments(args):
    """``args`` with password arguments masked (the same dict if none).

    Every value is also redacted by the recorder (``redact_body_keys``);
    this covers the argument names that list may not hold.
    """
    if not isinstance(args, dict):
        return args
    secret = [name for name in args if isinstance(name, str) and
              name.lower().endswith(SECRET_ARGUMENT_SUFFIXES) and
              args[name] is not None]
    if not secret:
        return args
    masked = dict(args)
    for name in secret:
        masked[name] = redact.MASK
    return masked


def json_body(current, value, empty_when_none=False):
    """A body record of ``value`` in JSON, its head up to max_body_bytes."""
    if value is None and empty_when_none:
        return event.body_record(b'', 0)
    try:
        data = json.dumps(value, ensure_ascii=False, separators=(',', ':'),
                          default=str).encode('utf-8')
    except (TypeError, ValueError) as exc:
        return event.omitted_body(0, 'not JSON: %s' % type(exc).__name__)
    limit = max(0, int(current.max_body_bytes))
    return event.body_record(data[:limit], len(data), 'application/json')


def describe(exc):
    """One line naming an exception (the real one under ExpectedException)."""
    inner = getattr(exc, 'exc_info', None)
    if type(exc).__name__ == 'ExpectedException' and inner and \
            isinstance(inner, tuple) and len(inner) > 1 and \
            inner[1] is not None:
        exc = inner[1]
    text = str(exc).splitlines()[0] if str(exc) else ''
    name = type(exc).__name__
    return '%s: %s' % (name, text) if text else name


# -- the ids in the message --------------------------------------------------

def carried(hop_id, trace, parent, caller, kind, url, fanout):
    """What travels under :data:`MESSAGE_KEY` (all strings, JSON-able)."""
    ids = {'id': hop_id, 'trace': trace, 'from': caller, 'kind': kind,
           'url': url}
    if parent:
        ids['parent'] = parent
    if fanout:
        ids['fanout'] = True
    key = hmac_key()
    if key:
        ids['hmac'] = trust.sign(key, hop_id, caller, trace, parent)
    return ids


def _valid_id(value):
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def claimed(message):
    """The sender's ids from a received message, or None.

    None when there are none (a sender without requestshook), when they
    are malformed, or when this process knows HMAC keys and they are not
    signed with one of them.
    """
    ids = message.get(MESSAGE_KEY) if isinstance(message, dict) else None
    if not isinstance(ids, dict):
        return None
    hop_id = _valid_id(ids.get('id'))
    trace = _valid_id(ids.get('trace'))
    if hop_id is None or trace is None:
        return None
    parent = ids.get('parent')
    if parent is not None and _valid_id(parent) is None:
        return None
    keys = hmac_keys()
    if keys and not trust.verify(list(keys), ids.get('hmac'), hop_id,
                                 ids.get('from'), trace, parent):
        return None
    url = ids.get('url')
    return {'id': hop_id, 'trace': trace, 'parent': parent,
            'from': identity.clean_name(ids.get('from')),
            'kind': CALL if ids.get('kind') == CALL else CAST,
            'url': url if isinstance(url, str) and
            url.startswith('rpc://') and len(url) < 1024 else None,
            'fanout': ids.get('fanout') is True}
