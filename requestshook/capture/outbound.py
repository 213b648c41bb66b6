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


"""The outbound hook: record each call python-requests sends.

:func:`install` wraps ``requests.adapters.HTTPAdapter.send`` with wrapt
when (or as soon as) ``requests.adapters`` is imported; no file in
site-packages is touched.  The paste filter installs it when it loads;
processes without a pipeline call :func:`enable` (or
``requestshook.enable``).

Per call, when recording is enabled, the hook gives the call a new hop id,
takes trace and parent from the inbound hop being served (see
:mod:`requestshook.capture.context`), sets the four ``X-Requestshook-*``
headers on the outgoing request, and writes ``client`` events:
``request`` before sending, ``response`` when the user has read the body
to its end or closed the response (at the latest when it is garbage
collected; see :mod:`requestshook.capture.outbound_response`), ``error``
when sending raised.  The body is observed as the user reads it, never read or
buffered by the hook.  The headers are set even on a call the filters
drop, so the callee still continues the trace.
"""

import collections.abc
import io
import threading
import time
import urllib.parse

import wrapt

from requestshook.capture import body
from requestshook.capture import context
from requestshook import event
from requestshook.capture import identity
from requestshook.capture import outbound_response
from requestshook.recording import report
from requestshook.recording import servicemap
from requestshook.capture import trust
from requestshook import w3c

_REPORTER = report.Reporter()


class _Settings(object):
    """What the process told the hook: recorder, name, one trace or not."""

    def __init__(self):
        self.lock = threading.Lock()
        self.installed = False
        self.recorder = None
        self.service_name = None
        self.one_trace = False
        self.process_name = None
        # The first key signs the ids sent; each verifies what arrives.
        self.hmac_key = None
        self.hmac_keys = ()


_settings = _Settings()


def _internal_failure(where, exc):
    _REPORTER.failed(
        'outbound', (where, type(exc).__name__),
        'requestshook failed in the outbound hook (%s: %s: %s); the call '
        'goes on unrecorded.', where, type(exc).__name__, exc)


class _Writing(threading.local):
    active = False      # this thread is inside emit


_writing = _Writing()
_deferred = collections.deque()


def emit(recorder, record, closing=False):
    """``recorder.emit(record)``, never re-entered on one thread.

    The garbage collector may collect a response, and so write its event,
    on any allocation: also inside an emit, while this thread holds the
    log's lock.  Such an event waits in a queue until that emit returns.
    Both hooks write their events through here.

    ``closing``: the closing event of a call whose opening event was
    kept, written even if recording was switched off meanwhile.  Returns
    False when the recorder dropped the event (recording was off).
    """
    if _writing.active:
        _deferred.append((recorder, record, closing))
        return True
    _writing.active = True
    try:
        kept = _emit(recorder, record, closing)
        while _deferred:
            try:
                queued = _deferred.popleft()
            except IndexError:
                break
            _emit(*queued)
    finally:
        _writing.active = False
    return kept


def _emit(recorder, record, closing):
    if closing:
        return recorder.emit(record, closing=True) is not False
    return recorder.emit(record) is not False


def _set_keys(hmac_key):
    # One key, or several (a list or comma-separated text): the first
    # signs, each verifies (keys change without a flag day).
    keys = tuple(trust.parse_keys(hmac_key))
    if keys:
        _settings.hmac_key, _settings.hmac_keys = keys[0], keys


def install(recorder=None, service_name=None, hmac_key=None):
    """Install the hook once per process; safe to call again.

    ``recorder``, ``service_name`` and ``hmac_key`` (one key or several,
    see :func:`enable`) are kept unless the process already gave some
    (the first paste filter or an explicit :func:`enable`).
    """
    with _settings.lock:
        if recorder is not None and _settings.recorder is None:
            _settings.recorder = recorder
        if service_name and not _settings.service_name:
            _settings.service_name = service_name
        if hmac_key and not _settings.hmac_key:
            _set_keys(hmac_key)
        if _settings.installed:
            return
        _settings.installed = True
    wrapt.register_post_import_hook(_patch_adapters, 'requests.adapters')


def enable(service_name=None, config_file=None, one_trace=False,
           overrides=None, hmac_key=None):
    """Record the calls this process makes with python-requests.

    For processes with no paste pipeline: daemons (``nova-compute``) and
    clients (the ``openstack`` CLI).  ``one_trace`` makes every call made
    outside an inbound call part of one flow for this process's lifetime.
    ``hmac_key`` signs the ids sent (see :mod:`requestshook.capture.trust`):
    one key, or several (a list or comma-separated text) of which the
    first signs and each verifies the ids that arrive by RPC.  Returns the
    recorder used.
    """
    from requestshook.recording import recorder as recorder_module
    recorder = recorder_module.get_recorder(config_file=config_file,
                                            overrides=overrides)
    with _settings.lock:
        _settings.recorder = recorder
        if service_name:
            _settings.service_name = service_name
        _settings.one_trace = bool(one_trace)
        if hmac_key:
            _set_keys(hmac_key)
    install()
    return recorder


def _is_ours(function):
    while function is not None:
        if getattr(function, '_self_wrapper', None) is _send:
            return True
        function = getattr(function, '__wrapped__', None)
    return False


def _patch_adapters(module):
    # Another tool may have wrapped send with wrapt too: wrap it again,
    # unless one of the layers is ours.
    if _is_ours(module.HTTPAdapter.__dict__.get('send')):
        return
    try:
        import requests.structures
        import urllib3.response     # HTTPHeaderDict there in 1.x and 2.x
        outbound_response.know_header_types(
            requests.structures.CaseInsensitiveDict,
            urllib3.response.HTTPHeaderDict)
    except Exception as exc:
        _internal_failure('header types', exc)
    wrapt.wrap_function_wrapper(module, 'HTTPAdapter.send', _send)


def _process_name():
    if _settings.process_name is None:
        _settings.process_name = identity.service_name()
    return _settings.process_name


def _send(wrapped, instance, args, kwargs):
    recorder = _settings.recorder
    try:
        enabled = recorder is not None and recorder.enabled()
    except Exception:
        enabled = False
    if not enabled:
        return wrapped(*args, **kwargs)
    try:
        request = args[0] if args else kwargs['request']
        call = OutboundCall(recorder, request)
    except Exception as exc:
        _internal_failure('request', exc)
        return wrapped(*args, **kwargs)
    try:
        response = wrapped(*args, **kwargs)
    except BaseException as exc:
        call.failed(exc)
        raise
    finally:
        call.restore_body()
    call.observe(response)
    return response


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


class _Callees(object):
    """``recorder.callee_for_url``, remembered per URL origin and prefix.

    The url_map names a URL's service from its scheme, host, port and a
    path prefix matched on segment boundaries: URLs alike up to their
    first N path segments, N the most an entry's path has, get the same
    name.  Remembered per settings snapshot; a recorder without
    ``settings.url_map`` is asked every time.
    """

    LIMIT = 1024

    def __init__(self):
        # (settings, path segments that matter or None, {key: name})
        self._state = (None, None, {})

    def callee(self, recorder, url, parts):
        current = getattr(recorder, 'settings', None)
        settings, depth, names = self._state
        if current is not settings or current is None:
            url_map = getattr(current, 'url_map', None)
            if url_map is None:
                return recorder.callee_for_url(url)
            depth = self._depth(url_map)
            names = {}
            self._state = (current, depth, names)
        if depth is None:
            return recorder.callee_for_url(url)
        path = parts.path or '/'
        if depth:
            path = '/'.join(path.split('/', depth + 1)[:depth + 1])
        else:
            path = ''
        key = (parts.scheme, parts.netloc, path)
        name = names.get(key)
        if name is None:
            name = recorder.callee_for_url(url)
            if len(names) >= self.LIMIT:
                names.clear()
            names[key] = name
        return name

    @staticmethod
    def _depth(url_map):
        try:
            depth = 0
            for text in url_map:
                path = servicemap.parse_entry(text).path
                if path:
                    depth = max(depth, path.count('/'))
            return depth
        except Exception:
            return None     # the recorder kept another map: no shortcut


_callees = _Callees()


def _own_name(recorder):
    return (_settings.service_name or recorder.service_name
            or _process_name())


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
