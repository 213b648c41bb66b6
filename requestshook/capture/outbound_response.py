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


"""The outbound hook's view of a response: observed as the user reads it.

:class:`ResponseObserver` wraps the reading methods of one urllib3
response and writes the call's closing event when the body has been read
to its end, or when the response is closed or collected: then with what
was read, the rest marked as not observed.
"""

import atexit
import threading
import weakref

from requestshook.capture import body
from requestshook.recording import report

_REPORTER = report.Reporter()


def _internal_failure(where, exc):
    _REPORTER.failed(
        'outbound', (where, type(exc).__name__),
        'requestshook failed in the outbound hook (%s: %s: %s); the call '
        'goes on unrecorded.', where, type(exc).__name__, exc)


def _text(value):
    if isinstance(value, bytes):
        return value.decode('latin-1')
    return str(value)


# The header mappings whose pairs are read from their storage, as their
# items() would give them, without a Python call per header: requests'
# CaseInsensitiveDict and urllib3's HTTPHeaderDict (see know_header_types).
_CASE_INSENSITIVE_DICT = None
_HTTP_HEADER_DICT = None


def know_header_types(case_insensitive_dict, http_header_dict):
    """Read these two header mappings' pairs from their storage.

    Each type is used only if the pairs so read equal its items() on a
    sample holding a repeated header; else its items() stay in use.
    """
    global _CASE_INSENSITIVE_DICT, _HTTP_HEADER_DICT
    try:
        sample = case_insensitive_dict([('A', '1'), ('b', '2')])
        if _stored_pairs(sample, case_insensitive_dict, None) == \
                list(sample.items()):
            _CASE_INSENSITIVE_DICT = case_insensitive_dict
    except Exception:
        pass
    try:
        sample = http_header_dict([('A', '1'), ('b', '2')])
        sample.add('a', '3')
        if _stored_pairs(sample, None, http_header_dict) == \
                list(sample.items()):
            _HTTP_HEADER_DICT = http_header_dict
    except Exception:
        pass


def _stored_pairs(headers, case_insensitive_dict, http_header_dict):
    kind = headers.__class__
    if kind is case_insensitive_dict:
        # {lowered name: (name, value)}
        return list(headers._store.values())
    if kind is http_header_dict:
        # {lowered name: [name, value, value...]}, one pair per value.
        return [(values[0], value)
                for values in headers._container.values()
                for value in values[1:]]
    return None


def header_pairs(headers):
    """``(name, value)`` pairs of text, in the order items() gives."""
    pairs = _stored_pairs(headers, _CASE_INSENSITIVE_DICT, _HTTP_HEADER_DICT)
    if pairs is None:
        items = getattr(headers, 'items', None)
        if items is None:
            return []
        pairs = list(items())
    for name, value in pairs:
        if name.__class__ is not str or value.__class__ is not str:
            return [(_text(name), _text(value)) for name, value in pairs]
    return pairs


def _response_headers(response):
    raw_headers = getattr(response.raw, 'headers', None)
    if raw_headers is not None and hasattr(raw_headers, 'items'):
        return header_pairs(raw_headers)
    return header_pairs(response.headers)


def response_fields(response):
    """Status, reason, headers and content type of a response."""
    return (response.status_code, response.reason,
            _response_headers(response), response.headers.get('Content-Type'))


def _drained(raw):
    """True when urllib3 has nothing left to hand out."""
    fp = getattr(raw, '_fp', None)
    if fp is not None:
        isclosed = getattr(fp, 'isclosed', None)
        if isclosed is not None:
            if not isclosed():
                return False
        elif not getattr(fp, 'closed', True):
            return False
    buffered = getattr(raw, '_decoded_buffer', None)
    if buffered is not None and len(buffered) > 0:
        return False
    decoder = getattr(raw, '_decoder', None)
    if decoder is not None and getattr(decoder, 'has_unconsumed_tail',
                                       False):
        return False
    return True


# The responses observed whose event is not written yet: the id of a weak
# reference to each, whose callback writes it when the response is
# collected, -> its observer (by id: a weak reference hashes as its
# response, which may be unhashable or equal to another).  Those left at
# exit are written then (as weakref.finalize would, for less work per
# response), by a handler registered at the first response watched, as
# weakref.finalize registers its own: after the network sinks' (built
# with the recorder's settings) so it runs before they close.
_watched = {}
_exiting = []
_exit_registered = []


def _collected(raw_ref):
    observer = _watched.pop(id(raw_ref), None)
    if observer is not None and not _exiting:
        observer.end(False)


def _end_watched_at_exit():
    _exiting.append(True)
    while _watched:
        try:
            _, observer = _watched.popitem()
        except KeyError:
            break
        observer.end(False)


def _watch(raw_ref, observer):
    if not _exit_registered:
        _exit_registered.append(True)
        atexit.register(_end_watched_at_exit)
    _watched[id(raw_ref)] = observer


class ResponseObserver(object):
    """Watches a response's body as the user reads it.

    The reading methods of the urllib3 response (``read``, ``read1``,
    ``read_chunked``) and ``close`` are wrapped on that one instance; they
    hold it only weakly, so the response is freed as it would be without
    the hook.  The call's ``response`` event is written when the body has
    been read to its end, or when the response is closed or collected.
    """

    __slots__ = ('_call', '_head', '_fields', '_lock', '_raw_ref')

    def __init__(self, call, response, max_bytes):
        self._call = call
        self._raw_ref = None
        self._head = body.BodyHead(max_bytes)
        self._fields = response_fields(response)
        self._lock = threading.Lock()
        raw = response.raw
        if raw is None or self._bodiless(call.method, raw):
            self.end()
            return
        # Collected before its end was read: the rest was not observed.
        self._raw_ref = raw_ref = weakref.ref(raw, _collected)
        for name in ('read', 'read1'):
            self._wrap_reader(raw, raw_ref, name)
        self._wrap_chunked(raw, raw_ref)
        self._wrap_close(raw, raw_ref)
        _watch(raw_ref, self)

    def _bodiless(self, method, raw):
        status = self._fields[0]
        return (method == 'HEAD' or status in (204, 304)
                or (isinstance(status, int) and 100 <= status < 200)
                or _drained(raw))

    def _original(self, raw, name):
        if name in getattr(raw, '__dict__', {}):
            bound = getattr(raw, name)
            return lambda this, *args, **kwargs: bound(*args, **kwargs)
        return getattr(type(raw), name, None)

    def _wrap_reader(self, raw, raw_ref, name):
        original = self._original(raw, name)
        if original is None:
            return
        observer = self

        def observed_read(*args, **kwargs):
            this = raw_ref()
            try:
                data = original(this, *args, **kwargs)
            except BaseException as exc:
                observer.failed(exc)
                raise
            observer.read(this, data, name, args, kwargs)
            return data
        setattr(raw, name, observed_read)

    def _wrap_chunked(self, raw, raw_ref):
        original = self._original(raw, 'read_chunked')
        if original is None:
            return
        observer = self

        def observed_read_chunked(*args, **kwargs):
            this = raw_ref()
            try:
                for chunk in original(this, *args, **kwargs):
                    observer.feed(chunk)
                    yield chunk
            except GeneratorExit:
                raise
            except BaseException as exc:
                observer.failed(exc)
                raise
            observer.end()
        setattr(raw, 'read_chunked', observed_read_chunked)

    def _wrap_close(self, raw, raw_ref):
        original = self._original(raw, 'close')
        if original is None:
            return
        observer = self

        def observed_close(*args, **kwargs):
            this = raw_ref()
            complete = False
            try:
                if this is not None:
                    complete = _drained(this)
                    return original(this, *args, **kwargs)
            finally:
                observer.end(complete)
        setattr(raw, 'close', observed_close)

    def _announced_size(self):
        for name, value in self._fields[2]:
            if name.lower() == 'content-length':
                try:
                    return int(value)
                except ValueError:
                    return None
        return None

    def feed(self, data):
        try:
            self._head.feed(data)
        except Exception as exc:
            _internal_failure('response body', exc)

    def read(self, raw, data, name, args, kwargs):
        self.feed(data)
        try:
            amt = args[0] if args else kwargs.get('amt')
            everything = amt is None and name == 'read'
            if everything or (not data and amt != 0) or \
                    (raw is not None and _drained(raw)):
                self.end()
        except Exception as exc:
            _internal_failure('response body', exc)

    def failed(self, exc):
        try:
            with self._lock:
                if self._call is None:
                    return
                call, self._call = self._call, None
            _watched.pop(id(self._raw_ref), None)
            call.failed(exc, status=self._fields[0])
        except Exception as failure:
            _internal_failure('response error', failure)

    def end(self, complete=True):
        """Write the response event; ``complete``: the body's end was read.

        A body not read to its end is recorded with what was read, the
        rest marked as not observed (``omitted``, ``not read`` when
        nothing was read, with the announced Content-Length).
        """
        try:
            with self._lock:
                if self._call is None:
                    return
                call, self._call = self._call, None
            _watched.pop(id(self._raw_ref), None)
            call.responded(self._fields, self._head.record(
                self._fields[3],
                None if complete else self._announced_size(), complete))
        except Exception as exc:
            _internal_failure('response event', exc)
