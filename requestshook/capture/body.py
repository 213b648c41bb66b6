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


"""Observe a body as it streams, keeping only its head.

A body is never buffered to be logged: :class:`BodyHead` keeps the first
``max_bytes`` and counts the rest.  :class:`ObservedInput` (of
:mod:`requestshook.capture.observed_input`) wraps a WSGI ``wsgi.input``
and :class:`ObservedAppIter` a WSGI application iterator; both hand every
byte through unchanged and feed a :class:`BodyHead` on the way.
"""

from requestshook.capture import context
from requestshook.capture import mirror
from requestshook import event

# How an application iterator ended (``ObservedAppIter``'s ``on_done``).
FINISHED = 'finished'     # iterated to StopIteration, then closed
ABANDONED = 'abandoned'   # closed before the end: the client went away
RAISED = 'raised'         # the iterator or its close() raised

# Reasons a body record gives for what it lacks.
NOT_READ = 'not read'
NOT_READ_TO_END = 'not read to its end'


class BodyHead(object):
    """The first ``max_bytes`` of a body and the count of all its bytes.

    ``at_end`` is set by whoever sees the body's end (an empty read).
    """

    __slots__ = ('max_bytes', 'size', 'at_end', '_head')

    def __init__(self, max_bytes):
        self.max_bytes = max(0, int(max_bytes))
        self.size = 0
        self.at_end = False
        # bytes while one chunk fits whole (kept, not copied), then a
        # bytearray the next chunks are added to.
        self._head = b''

    def feed(self, data):
        """Keep the head of ``data`` and count it; never raises.

        What is neither bytes-like nor text (an application's odd chunk)
        is not counted: it is handed on as it is, for the server to
        refuse.
        """
        try:
            if data.__class__ is not bytes and \
                    not isinstance(data, (bytes, bytearray)):
                if isinstance(data, str):
                    data = data.encode('utf-8', 'surrogatepass')
                else:
                    data = memoryview(data).cast('B')
            head = self._head
            room = self.max_bytes - len(head)
            if room > 0 and data:
                if not head and data.__class__ is bytes and \
                        len(data) <= room:
                    self._head = data
                else:
                    if head.__class__ is bytes:
                        self._head = head = bytearray(head)
                    head += data[:room]
            self.size += len(data)
        except Exception:
            pass

    def full(self):
        """True once the head holds all it may keep: the rest is counted."""
        return len(self._head) >= self.max_bytes

    def skip(self, count):
        """``count`` bytes passed unseen: counted, and the head ends."""
        self.size += count
        self.max_bytes = len(self._head)

    @property
    def head(self):
        head = self._head
        return head if head.__class__ is bytes else bytes(head)

    def record(self, content_type=None, expected_size=None, complete=None):
        """This body as an event record (:func:`event.body_record`).

        ``complete`` says whether the body was seen to its end; when not
        given it is judged from ``expected_size``, the announced length
        (Content-Length).  A body never read is omitted (``not read``,
        with the announced size); one read in part is truncated, with
        ``reason`` ``not read to its end``.
        """
        if complete is None:
            complete = expected_size is None or self.size >= expected_size
        if complete:
            return event.body_record(self.head, self.size, content_type)
        if self.size == 0:
            return event.omitted_body(expected_size or 0, NOT_READ)
        return event.partial_body(self.head, self.size, content_type,
                                  NOT_READ_TO_END)


class _NoScope(object):
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


NO_SCOPE = _NoScope()


class ObservedAppIter(object):
    """A WSGI application iterator that tells how and when it ended.

    Every chunk passes unchanged and is fed to ``head``.  ``on_done(how,
    exc)`` is called exactly once: with :data:`FINISHED` when the iterator
    was exhausted and then closed (the last byte has left), with
    :data:`ABANDONED` when it was closed before its end (the client went
    away or the server gave up), with :data:`RAISED` and the exception when
    the iterator or its ``close()`` raised.  ``close()`` always calls the
    inner ``close()`` exactly once.  ``scope`` is a context manager entered
    around each step, so code running inside the application iterator sees
    the hop being served.
    """

    OPTIONAL = {'__len__': lambda self: len(self._app_iter)}

    def __new__(cls, app_iter, head, on_done, scope=NO_SCOPE):
        if cls is ObservedAppIter:
            # A result with __len__ keeps it: wsgiref sets Content-Length
            # from a result of length 1.
            cls = mirror.class_for(ObservedAppIter, app_iter)
        return object.__new__(cls)

    def __init__(self, app_iter, head, on_done, scope=NO_SCOPE):
        self._app_iter = app_iter
        self._iterator = None
        self._head = head
        self._on_done = on_done
        self._scope = scope
        known = _hop_of(scope)
        self._hop, self._variable = known or (None, None)
        self._known_scope = known is not None
        self._position = 0      # chunks of this pass handed out
        self._fed = 0           # chunks fed to the head, over all passes
        # True while a step need only count its chunk: the head is full,
        # the chunks are new (first pass) and the scope is known.
        self._counting = False
        self._exhausted = False
        self._closed = False
        self._done = False

    def __iter__(self):
        if self._iterator is not None:
            # Iterated again (eventlet sums len() over a result that has
            # __len__ before sending it): a result that makes a new
            # iterator starts a new pass, whose chunks are not fed again.
            iterator = self._step(self._new_iterator)
            if iterator is not self._iterator:
                self._fed = max(self._fed, self._position)
                self._counting = False
                self._iterator = iterator
                self._position = 0
                self._exhausted = False
        return self

    def _new_iterator(self):
        return iter(self._app_iter)

    def _next_chunk(self):
        if self._iterator is None:
            self._iterator = iter(self._app_iter)
        return next(self._iterator)

    def _step(self, function):
        try:
            with self._scope:
                return function()
        except StopIteration:
            self._exhausted = True
            raise
        except BaseException as exc:
            self._finish(RAISED, exc)
            raise

    def __next__(self):
        if self._counting:
            # The path of nearly every chunk of a large body (16,384 per
            # GiB in 64 KiB chunks): the hop set, one step, a count.
            variable = self._variable
            token = None if variable is None else variable.set(self._hop)
            try:
                try:
                    chunk = next(self._iterator)
                finally:
                    if token is not None:
                        try:
                            variable.reset(token)
                        except ValueError:
                            # Set in another context (greenthread), as
                            # context.Serving leaves it.
                            variable.set(None)
            except BaseException as exc:
                self._stopped(exc)
                raise
            self._position += 1
            if type(chunk) is bytes:
                self._head.size += len(chunk)
            else:
                self._head.feed(chunk)
            return chunk
        chunk = self._step(self._next_chunk)
        self._position += 1
        if self._position > self._fed:
            self._fed = self._position
            self._head.feed(chunk)
            self._counting = self._known_scope and self._head.full()
        return chunk

    def _stopped(self, exc):
        if isinstance(exc, StopIteration):
            self._exhausted = True
        else:
            self._finish(RAISED, exc)

    def close(self):
        if self._closed:
            return
        self._closed = True
        close = getattr(self._app_iter, 'close', None)
        try:
            if close is not None:
                with self._scope:
                    close()
        except BaseException as exc:
            self._finish(RAISED, exc)
            raise
        self._finish(FINISHED if self._exhausted else ABANDONED, None)

    def _finish(self, how, exc):
        if self._done:
            return
        self._done = True
        self._on_done(how, exc)


def _hop_of(scope):
    """(hop, variable) set per step for a known scope, else None.

    A context.Serving is entered by setting its hop on the variable
    directly; NO_SCOPE sets nothing (no variable).
    """
    if scope is NO_SCOPE:
        return None, None
    if type(scope) is context.Serving:
        return scope.hop, context.CURRENT_HOP
    return None


class ObservedList(list):
    """An application's list (or tuple) of chunks, as a list.

    Servers treat a list specially: wsgiref and eventlet set
    Content-Length from it, and eventlet iterates it twice to do so.  The
    chunks are in memory already, so the head is taken at once and the
    list handed on as a list; its ``close()`` (the server calls it after
    sending) calls ``on_done`` with :data:`FINISHED`.  A client going away
    cannot be told apart from one served.
    """

    def __init__(self, chunks, head, on_done):
        super(ObservedList, self).__init__(chunks)
        self._inner_close = getattr(chunks, 'close', None)
        self._on_done = on_done
        self._closed = False
        for chunk in chunks:
            head.feed(chunk)

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            if self._inner_close is not None:
                self._inner_close()
        except BaseException as exc:
            self._on_done(RAISED, exc)
            raise
        self._on_done(FINISHED, None)


def observe_app_iter(app_iter, head, on_done, scope=NO_SCOPE):
    """Wrap an application's result: a list stays a list."""
    if isinstance(app_iter, (list, tuple)):
        return ObservedList(app_iter, head, on_done)
    return ObservedAppIter(app_iter, head, on_done, scope)
