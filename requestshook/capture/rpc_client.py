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


"""The sending side of the RPC hook: ``Transport._send``.

``_BaseCallContext.call`` and ``cast`` hand ``Transport._send`` the
target, the context already serialized to a dict, and the message
(``method`` and ``args`` already serialized); a call also passes
``wait_for_reply=True`` and gets back the serialized result.  Per
message, when recording is on, the hook makes a new hop id, takes trace
and parent from the hop being served, adds the ids to a copy of the
message under :data:`requestshook.capture.rpc.MESSAGE_KEY`, and writes
``client`` events: ``request`` before sending; for a call ``response``
when the result came back, ``error`` when sending or waiting raised
(``MessagingTimeout``, ``RemoteError``).  A cast's only event is its
``request``.
"""

import time

from requestshook.capture import context
from requestshook.capture import rpc
from requestshook import event


def _argument(args, kwargs, position, name, default=None):
    if len(args) > position:
        return args[position]
    return kwargs.get(name, default)


class ClientMessage(object):
    """One call or cast being sent: ids, names, events."""

    def __init__(self, recorder, transport, target, ctxt, message,
                 wait_for_reply):
        self.recorder = recorder
        self.started = time.monotonic()
        self.trace, self.parent, self.caller = context.caller_ids(
            rpc.one_trace(), lambda: rpc.own_service_name(recorder))
        self.hop_id = event.new_id()
        self.kind = rpc.CALL if wait_for_reply else rpc.CAST
        conf = getattr(transport, 'conf', None)
        exchange = getattr(target, 'exchange', None) or \
            getattr(conf, 'control_exchange', None)
        topic = getattr(target, 'topic', None)
        rpc_method = message.get('method')
        self.fanout = bool(getattr(target, 'fanout', False))
        self.url = rpc.url_for(exchange, topic,
                               getattr(target, 'server', None), rpc_method)
        self.callee = rpc.service_for_topic(exchange, topic)
        self.ids = rpc.carried(self.hop_id, self.trace, self.parent,
                               self.caller, self.kind, self.url,
                               self.fanout)
        self.recorded = recorder.should_record(self.caller, self.callee,
                                               self.kind, self.url,
                                               root=self.parent is None)
        if self.recorded:
            headers = rpc.context_headers(ctxt)
            version = message.get('version')
            if isinstance(version, str):
                headers.append(('X-Rpc-Version', version))
            record = event.request_event(
                event.CLIENT, self.hop_id, self.trace, self.parent,
                self.caller, self.callee, self.kind, self.url, headers,
                rpc.json_body(recorder, rpc.masked_arguments(
                    message.get('args', {}))))
            if self.fanout:
                record['fanout'] = True
            rpc.emit(recorder, record)

    def message_to_send(self, message):
        """A copy of ``message`` carrying the ids."""
        sent = dict(message)
        sent[rpc.MESSAGE_KEY] = self.ids
        return sent

    def _duration_ms(self):
        return (time.monotonic() - self.started) * 1000.0

    def _ends(self):
        return self.recorded and self.kind == rpc.CALL

    def responded(self, result):
        if not self._ends():
            return
        try:
            rpc.emit(self.recorder, rpc.response_event(
                event.CLIENT, self.hop_id, self.trace, self.parent,
                self.caller, self.callee, self.kind, self.url,
                rpc.json_body(self.recorder, result, empty_when_none=True),
                self._duration_ms()))
        except Exception as exc:
            rpc.internal_failure('response event', exc)

    def failed(self, exc):
        # A cast that could not be sent is still worth an error event.
        if not self.recorded:
            return
        try:
            rpc.emit(self.recorder, event.error_event(
                event.CLIENT, self.hop_id, self.trace, self.parent,
                self.caller, self.callee, self.kind, self.url,
                rpc.describe(exc), self._duration_ms()))
        except Exception as failure:
            rpc.internal_failure('error event', failure)


def send(wrapped, instance, args, kwargs):
    """The wrapt wrapper of ``Transport._send``."""
    recorder = rpc.recorder()
    if recorder is None:
        return wrapped(*args, **kwargs)
    try:
        target = _argument(args, kwargs, 0, 'target')
        ctxt = _argument(args, kwargs, 1, 'ctxt')
        message = _argument(args, kwargs, 2, 'message')
        wait_for_reply = _argument(args, kwargs, 3, 'wait_for_reply')
        sent = ClientMessage(recorder, instance, target, ctxt, message,
                             wait_for_reply)
        if len(args) > 2:
            args = args[:2] + (sent.message_to_send(message),) + args[3:]
        else:
            kwargs = dict(kwargs, message=sent.message_to_send(message))
    except Exception as exc:
        rpc.internal_failure('request', exc)
        return wrapped(*args, **kwargs)
    try:
        result = wrapped(*args, **kwargs)
    except BaseException as exc:
        sent.failed(exc)
        raise
    sent.responded(result)
    return result
