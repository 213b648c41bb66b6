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
``max_bytes`` and counts the rest.  :class:`ObservedInput` wraps a WSGI
``wsgi.input`` (as werkzeug's ``middleware/lint.py`` does) and
:class:`ObservedAppIter` a WSGI application iterator; both hand every byte
through unchanged and feed a :class:`BodyHead` on the way.
"""

from requestshook import event

# How an application iterator ended (``ObservedAppIter``'s ``on_done``).
FINISHED = 'finished'     # iterated to StopIteration, then closed
ABANDONED = 'abandoned'   # closed before the end: the client went away
RAISED = 'raised'         # the iterator or its close() raised


class BodyHead(object):
    """The first ``max_bytes`` of a body and the count of all its bytes."""

    __slots__ = ('max_bytes', 'size', '_head')

    def __init__(self, max_bytes):
        self.max_bytes = max(0, int(max_bytes))
        self.size = 0
        self._head = bytearray()

    def feed(self, data):
        if not data:
            return
        if isinstance(data, str):
            data = data.encode('utf-8')
        room = self.max_bytes - len(self._head)
        if room > 0:
            self._head += data[:room]
        self.size += len(data)

    @property
    def head(self):
        return bytes(self._head)

    def record(self, content_type=None, expected_size=None):
        """This body as an event record (:func:`event.body_record`).

        ``expected_size`` is the announced length (Content-Length): a body
        read only in part is marked truncated, one never read is omitted.
        """
        if expected_size and self.size == 0:
            return event.omitted_body(expected_size, 'not read')
        truncated = self.size > len(self._head)
        if expected_size is not None and self.size < expected_size:
            truncated = True
        return event.body_record(self.head, self.size, content_type,
                                 truncated=truncated)


class ObservedInput(object):
    """``wsgi.input`` that feeds what the application reads to a head."""

    def __init__(self, wsgi_input, head):
        self._input = wsgi_input
        self._head = head

    def read(self, *args):
        data = self._input.read(*args)
        self._head.feed(data)
        return data

    def readline(self, *args):
        line = self._input.readline(*args)
        self._head.feed(line)
        return line

    def readlines(self, *args):
        lines = self._input.readlines(*args)
        for line in lines:
            self._head.feed(line)
        return lines

    def __iter__(self):
        for line in self._input:
            self._head.feed(line)
            yield line

    def close(self):
        return self._input.close()

    def __getattr__(self, name):
        # Server extras (eventlet's 100-continue helpers, ...) pass through.
        return getattr(self._input, name)


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

    def __init__(self, app_iter, head, on_done, scope=NO_SCOPE):
        self._app_iter = app_iter
        self._iterator = None
        self._head = head
        self._on_done = on_done
        self._scope = scope
        self._exhausted = False
        self._closed = False
        self._done = False

    def __iter__(self):
        return self

    def __next__(self):
        try:
            with self._scope:
                if self._iterator is None:
                    self._iterator = iter(self._app_iter)
                chunk = next(self._iterator)
        except StopIteration:
            self._exhausted = True
            raise
        except BaseException as exc:
            self._finish(RAISED, exc)
            raise
        self._head.feed(chunk)
        return chunk

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
