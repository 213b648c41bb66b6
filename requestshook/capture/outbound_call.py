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


"""One call python-requests sends, as the outbound hook observes it.

:class:`OutboundCall` gives the call a new hop id, takes trace and parent
from the inbound hop being served (see :mod:`requestshook.capture.context`),
sets the ``X-Requestshook-*`` headers on the outgoing request, writes the
``request`` event, observes a streamed request body as it is sent
(:class:`_ObservedFile`, :class:`_ObservedIterable`) and writes the
``response`` or ``error`` event when the call ends.  The hook that
creates it per call is :mod:`requestshook.capture.outbound`.
"""

import collections.abc
import io
import time
import urllib.parse

from requestshook.capture import body
from requestshook.capture import context
from requestshook import event
from requestshook.capture import hookstate
from requestshook.capture import outbound_callees
from requestshook.capture import outbound_response
from requestshook.capture import trust
from requestshook import w3c

_settings = hookstate._settings
_internal_failure = hookstate._internal_failure
_own_name = hookstate.own_service_name
emit = hookstate.emit


class _ObservedFile(object):
    """A file-like request body that feeds what is read from it."""

    def __init__(self, stream, head):
        self._stream = stream
        self._head = head

    def read(self, *args):
        data = self._stream.read(*args)
        self._head.feed(data)
        return data

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _ObservedIterable(object):
    """An iterable request body (a generator) that feeds what it yields."""

    def __init__(self, iterable, head):
        self._iterable = iterable
        self._head = head

    def __iter__(self):
        for chunk in self._iterable:
            self._head.feed(chunk)
            yield chunk


def _describe(exc):
    text = str(exc).splitlines()[0] if str(exc) else ''
    name = type(exc).__name__
    return '%s: %s' % (name, text) if text else name


# Lowered as requests' CaseInsensitiveDict keys them: the headers the hook
# removes when the request it is given still carries them.
_PARENT_KEY = event.HEADER_PARENT_ID.lower()
_HMAC_KEY = trust.HEADER_HMAC.lower()


def _drop_header(headers, name, lowered):
    store = getattr(headers, '_store', None)
    if isinstance(store, dict) and lowered not in store:
        return
    headers.pop(name, None)


_callees = outbound_callees._Callees()


class OutboundCall(object):
    """One call python-requests sends: ids, headers, observed bodies."""

    __slots__ = ('recorder', 'request', 'started', 'trace', 'parent',
                 'caller', 'hop_id', 'method', 'url', 'callee', 'recorded',
                 '_original_body', '_body_replaced', '_request_head',
                 '_done', '_opened', '_max_bytes')

    def __init__(self, recorder, request):
        self.recorder = recorder
        self.request = request
        self.started = time.monotonic()
        trace, parent, caller = context.caller_ids(
            _settings.one_trace, lambda: _own_name(recorder))
        self.trace = trace
        self.parent = parent
        self.caller = caller
        self.hop_id = hop_id = event.new_id()
        self.method = method = request.method
        self.url = url = request.url
        parts = urllib.parse.urlsplit(url)
        self.callee = callee = _callees.callee(recorder, url, parts)
        self.recorded = recorder.should_record(
            caller, callee, method, parts.path, root=parent is None)
        self._original_body = request.body
        self._body_replaced = False
        self._request_head = None
        self._done = False
        headers = request.headers
        headers[event.HEADER_REQUEST_ID] = hop_id
        headers[event.HEADER_REQUEST_FROM] = caller
        headers[event.HEADER_TRACE_ID] = trace
        if parent:
            headers[event.HEADER_PARENT_ID] = parent
        else:
            _drop_header(headers, event.HEADER_PARENT_ID, _PARENT_KEY)
        if _settings.hmac_key:
            headers[trust.HEADER_HMAC] = trust.sign(
                _settings.hmac_key, hop_id, caller, trace, parent)
        else:
            _drop_header(headers, trust.HEADER_HMAC, _HMAC_KEY)
        if getattr(recorder, 'emit_traceparent', False):
            headers[w3c.HEADER] = w3c.traceparent(trace, hop_id)
        # False when recording was switched off before the request event
        # was written: then no closing event is written either.
        self._opened = False
        if self.recorded:
            self._max_bytes = recorder.max_body_bytes
            try:
                self._opened = emit(recorder, event.request_event(
                    event.CLIENT, hop_id, trace, parent, caller, callee,
                    method, url, outbound_response.header_pairs(headers),
                    self._request_body_record()))
            except Exception:
                # The call goes on unrecorded: with the body it was given.
                self.restore_body()
                raise

    def _content_type(self, headers):
        return headers.get('Content-Type') if headers is not None else None

    def _request_body_record(self):
        data = self.request.body
        content_type = self._content_type(self.request.headers)
        if data is None:
            return event.body_record(b'', 0)
        kind = data.__class__
        if kind is bytes or kind is str or kind is bytearray:
            # The whole body is here: its head is a slice of it.
            if kind is str:
                data = data.encode('utf-8', 'surrogatepass')
            keep = max(0, int(self._max_bytes))
            head = data[:keep] if len(data) > keep else data
            return event.body_record(bytes(head), len(data), content_type)
        if isinstance(data, (bytes, bytearray, str)):
            head = body.BodyHead(self._max_bytes)
            head.feed(data)
            return head.record(content_type)
        if isinstance(data, io.TextIOBase):
            return event.omitted_body(0, 'text file body')
        if not hasattr(data, 'read'):
            record = self._buffer_record(data, content_type)
            if record is not None:
                return record
        if not hasattr(data, 'read') and \
                not isinstance(data, collections.abc.Iterable):
            # Left for urllib3 to refuse, as it would without the hook.
            return event.omitted_body(0, 'not a body')
        self._request_head = body.BodyHead(self._max_bytes)
        if hasattr(data, 'read'):
            self.request.body = _ObservedFile(data, self._request_head)
        else:
            self.request.body = _ObservedIterable(data, self._request_head)
        self._body_replaced = True
        return None

    def _buffer_record(self, data, content_type):
        # urllib3 sends what has the buffer protocol (an array, a
        # memoryview) as its bytes, not by iterating it.
        try:
            view = memoryview(data)
        except TypeError:
            return None
        if not view.c_contiguous:
            return event.omitted_body(view.nbytes, 'strided buffer')
        head = body.BodyHead(self._max_bytes)
        head.feed(view.cast('B'))
        return head.record(content_type)

    def restore_body(self):
        if self._body_replaced:
            self.request.body = self._original_body
            self._body_replaced = False

    def _streamed_request_body(self):
        if self._request_head is None:
            return None
        return self._request_head.record(
            self._content_type(self.request.headers))

    def _duration_ms(self):
        return (time.monotonic() - self.started) * 1000.0

    # -- ends ---------------------------------------------------------------

    def failed(self, exc, status=None):
        if not self._opened or self._done:
            return
        self._done = True
        try:
            emit(self.recorder, event.error_event(
                event.CLIENT, self.hop_id, self.trace, self.parent,
                self.caller, self.callee, self.method, self.url,
                _describe(exc), self._duration_ms(), status=status,
                request_body=self._streamed_request_body()), closing=True)
        except Exception as failure:
            _internal_failure('error event', failure)

    def observe(self, response):
        if not self._opened:
            return
        try:
            outbound_response.ResponseObserver(self, response,
                                               self._max_bytes)
        except Exception as exc:
            _internal_failure('response', exc)
            self._responded_unobserved(response)

    def _responded_unobserved(self, response):
        try:
            fields = outbound_response.response_fields(response)
            self.responded(fields, event.omitted_body(0, 'not observed'))
        except Exception as exc:
            _internal_failure('response event', exc)

    def responded(self, response_event_fields, response_body):
        if not self._opened or self._done:
            return
        self._done = True
        status, reason, headers, _ = response_event_fields
        emit(self.recorder, event.response_event(
            event.CLIENT, self.hop_id, self.trace, self.parent, self.caller,
            self.callee, self.method, self.url, status, reason, headers,
            response_body, self._duration_ms(),
            request_body=self._streamed_request_body()), closing=True)
