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


"""The receiving side of the RPC hook: ``RPCDispatcher.dispatch``.

Whatever the executor (threading, eventlet), an RPC server hands each
message to its dispatcher's ``dispatch``, which runs the endpoint method
on that thread or greenthread and returns the serialized result.  Per
message, when recording is on, the hook reads the sender's ids from the
message (a sender without requestshook gives a new root hop), makes the
hop current while the endpoint runs, so every HTTP call and RPC it makes
is the hop's child, and writes ``server`` events: ``request`` when
dispatch starts, ``response`` when the endpoint returned (the head of the
result for a call), ``error`` when it raised.

Work an endpoint hands to another thread keeps the hop where the hook
knows the hand-over: nova's ``spawn_on``/``spawn``/``spawn_n``.
"""

import functools
import time
import weakref

from requestshook.capture import context
from requestshook.capture import rpc
from requestshook import event

# Each RPC server's dispatcher -> (exchange, topic) it listens on, to name
# messages from a sender without requestshook (which may have addressed the
# topic or this server: the topic is what both share).
_listening = weakref.WeakKeyDictionary()


def server_init(wrapped, instance, args, kwargs):
    """After ``RPCServer.__init__``: remember what its dispatcher serves."""
    result = wrapped(*args, **kwargs)
    try:
        target = instance._target
        conf = getattr(instance.transport, 'conf', None)
        exchange = getattr(target, 'exchange', None) or \
            getattr(conf, 'control_exchange', None)
        _listening[instance.dispatcher] = (exchange, target.topic)
    except Exception as exc:
        rpc.internal_failure('server target', exc)
    return result


def _expects_reply(incoming):
    return bool(getattr(incoming, 'reply_q', None)
                or getattr(incoming, '_reply_q', None))


class ServerMessage(object):
    """One message a dispatcher runs: ids, the hop it serves, events."""

    def __init__(self, recorder, dispatcher, incoming):
        self.recorder = recorder
        self.started = time.monotonic()
        message = incoming.message
        rpc_method = message.get('method')
        self.service = rpc.own_service_name(recorder)
        ids = rpc.claimed(message)
        self.fanout = False
        if ids is not None:
            self.hop_id, self.trace, self.parent = (ids['id'], ids['trace'],
                                                    ids['parent'])
            self.caller = ids['from'] or rpc.UNKNOWN_CALLER
            self.kind = ids['kind']
            self.fanout = ids['fanout']
            self.url = ids['url']
        else:
            self.hop_id = event.new_id()
            self.trace = event.new_id()
            self.parent = None
            self.caller = rpc.UNKNOWN_CALLER
            self.kind = rpc.CALL if _expects_reply(incoming) else rpc.CAST
            self.url = None
        if self.url is None:
            exchange, topic = _listening.get(dispatcher,
                                             (None, self.service))
            self.url = rpc.url_for(exchange, topic, None, rpc_method)
        self.serving = context.Serving(
            context.Hop(self.trace, self.hop_id, self.service))
        self.recorded = recorder.should_record(self.caller, self.service,
                                               self.kind, self.url,
                                               root=self.parent is None)
        if self.recorded:
            record = event.request_event(
                event.SERVER, self.hop_id, self.trace, self.parent,
                self.caller, self.service, self.kind, self.url,
                rpc.context_headers(incoming.ctxt),
                rpc.json_body(recorder, rpc.masked_arguments(
                    message.get('args', {}))))
            if self.fanout:
                record['fanout'] = True
            rpc.emit(recorder, record)

    def _duration_ms(self):
        return (time.monotonic() - self.started) * 1000.0

    def returned(self, result):
        if not self.recorded:
            return
        try:
            if self.kind == rpc.CALL:
                body = rpc.json_body(self.recorder, result,
                                     empty_when_none=True)
            else:
                body = event.body_record(b'', 0)
            rpc.emit(self.recorder, rpc.response_event(
                event.SERVER, self.hop_id, self.trace, self.parent,
                self.caller, self.service, self.kind, self.url, body,
                self._duration_ms()))
        except Exception as exc:
            rpc.internal_failure('response event', exc)

    def raised(self, exc):
        if not self.recorded:
            return
        try:
            rpc.emit(self.recorder, event.error_event(
                event.SERVER, self.hop_id, self.trace, self.parent,
                self.caller, self.service, self.kind, self.url,
                rpc.describe(exc), self._duration_ms()))
        except Exception as failure:
            rpc.internal_failure('error event', failure)


def dispatch(wrapped, instance, args, kwargs):
    """The wrapt wrapper of ``RPCDispatcher.dispatch``."""
    recorder = rpc.recorder()
    if recorder is None:
        return wrapped(*args, **kwargs)
    try:
        incoming = args[0] if args else kwargs['incoming']
        served = ServerMessage(recorder, instance, incoming)
    except Exception as exc:
        rpc.internal_failure('request', exc)
        return wrapped(*args, **kwargs)
    with served.serving:
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            served.raised(exc)
            raise
    served.returned(result)
    return result


# -- threads an endpoint starts ----------------------------------------------

def _carrying(hop, function):
    @functools.wraps(function)
    def with_hop(*args, **kwargs):
        with context.Serving(hop):
            return function(*args, **kwargs)
    return with_hop


def _spawn_with_hop(position, wrapped, args, kwargs):
    hop = context.current()
    if hop is None or len(args) <= position or not callable(args[position]):
        return wrapped(*args, **kwargs)
    args = (args[:position] + (_carrying(hop, args[position]),)
            + args[position + 1:])
    return wrapped(*args, **kwargs)


def spawn_on(wrapped, instance, args, kwargs):
    """nova's ``thread_pool_factory.spawn_on(executor_type, func, ...)``."""
    return _spawn_with_hop(1, wrapped, args, kwargs)


def spawn(wrapped, instance, args, kwargs):
    """Older nova's ``utils.spawn(func, ...)`` and ``spawn_n``."""
    return _spawn_with_hop(0, wrapped, args, kwargs)
