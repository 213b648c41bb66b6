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


"""The observed ``wsgi.input``: what an application reads, fed to a head.

:class:`ObservedInput` wraps a WSGI ``wsgi.input`` (as werkzeug's
``middleware/lint.py`` does), offering exactly what the server's object
offers (:mod:`requestshook.capture.mirror`), handing every byte through
unchanged and feeding a :class:`requestshook.capture.body.BodyHead` on
the way.
"""

from requestshook.capture import mirror


class _Reading(object):
    """Where an observed input stands: what was read, what was fed.

    ``counting`` is true while a read need only be counted: the head is
    full and the stream's next byte is the first not yet seen.
    """

    __slots__ = ('stream', 'head', 'position', 'seen', 'counting')

    def __init__(self, stream, head):
        self.stream = stream
        self.head = head
        self.position = 0     # offset of the stream's next byte
        self.seen = 0         # bytes of the stream fed to the head
        self.counting = False

    def observe(self, data):
        """``data`` was read at ``position``: feed what is new of it."""
        try:
            if not data:
                return
            if isinstance(data, memoryview):
                data = data.cast('B')
            start = self.position
            self.position = start + len(data)
            if self.position <= self.seen:
                return      # read again after a seek back
            if start > self.seen:
                self.head.skip(start - self.seen)
            elif start < self.seen:
                data = data[self.seen - start:]
            self.head.feed(data)
            self.seen = self.position
            self.counting = self.head.full()
        except Exception:
            pass

    def ended(self):
        self.head.at_end = True

    def observe_read(self, data, args, kwargs, reads_all=False):
        """What a read returned; ``reads_all``: read all unless sized."""
        self.observe(data)
        size = _size_argument(args, kwargs)
        if reads_all and (size is None or (isinstance(size, int)
                                           and size < 0)):
            self.ended()
        elif not data and data is not None and size != 0:
            self.ended()

    def observe_into(self, buffer, count):
        try:
            if not isinstance(count, int) or count <= 0:
                return
            with memoryview(buffer) as view, view.cast('B') as flat:
                self.observe(flat[:count])
        except Exception:
            pass

    def moved(self, result, args, kwargs):
        """The stream was seeked: where is it now?"""
        self.counting = False
        try:
            if isinstance(result, int) and not isinstance(result, bool):
                self.position = result
                return
            offset = args[0] if args else kwargs.get('offset', 0)
            whence = args[1] if len(args) > 1 else kwargs.get('whence', 0)
            if whence == 0:
                self.position = offset
            elif whence == 1:
                self.position += offset
            else:
                self.position = self.stream.tell()
        except Exception:
            self.position = self.seen

    def lines(self, iterator):
        for line in iterator:
            self.observe(line)
            yield line
        self.ended()


def _size_argument(args, kwargs):
    return args[0] if args else next(iter(kwargs.values()), None)


def _read(self, *args, **kwargs):
    reading = self._requestshook
    data = reading.stream.read(*args, **kwargs)
    if reading.counting and type(data) is bytes and data and args:
        # The head is full: a sized read that returned bytes is only
        # counted (a body of 1 GiB is 16,384 such reads of 64 KiB).
        size = args[0]
        if type(size) is int and size >= 0:
            count = len(data)
            reading.position += count
            reading.seen += count
            reading.head.size += count
            return data
    reading.observe_read(data, args, kwargs, reads_all=True)
    return data


def _read1(self, *args, **kwargs):
    reading = self._requestshook
    data = reading.stream.read1(*args, **kwargs)
    reading.observe_read(data, args, kwargs, reads_all=False)
    return data


def _readline(self, *args, **kwargs):
    reading = self._requestshook
    line = reading.stream.readline(*args, **kwargs)
    reading.observe_read(line, args, kwargs)
    return line


def _readlines(self, *args, **kwargs):
    reading = self._requestshook
    lines = reading.stream.readlines(*args, **kwargs)
    for line in lines:
        reading.observe(line)
    if not args and not kwargs:
        reading.ended()
    return lines


def _buffer_argument(args, kwargs):
    return args[0] if args else next(iter(kwargs.values()), None)


def _readinto(self, *args, **kwargs):
    reading = self._requestshook
    count = reading.stream.readinto(*args, **kwargs)
    reading.observe_into(_buffer_argument(args, kwargs), count)
    return count


def _readinto1(self, *args, **kwargs):
    reading = self._requestshook
    count = reading.stream.readinto1(*args, **kwargs)
    reading.observe_into(_buffer_argument(args, kwargs), count)
    return count


def _seek(self, *args, **kwargs):
    reading = self._requestshook
    result = reading.stream.seek(*args, **kwargs)
    reading.moved(result, args, kwargs)
    return result


def _iter(self):
    reading = self._requestshook
    iterator = iter(reading.stream)
    if iterator is reading.stream:
        return self
    return reading.lines(iterator)


def _next_line(reading, step):
    try:
        line = step()
    except StopIteration:
        reading.ended()
        raise
    reading.observe(line)
    return line


def _dunder_next(self):
    reading = self._requestshook
    return _next_line(reading, reading.stream.__next__)


def _next(self, *args, **kwargs):
    reading = self._requestshook
    return _next_line(reading,
                      lambda: reading.stream.next(*args, **kwargs))


def _len(self):
    return len(self._requestshook.stream)


def _bool(self):
    return bool(self._requestshook.stream)


def _enter(self):
    stream = self._requestshook.stream
    entered = stream.__enter__()
    return self if entered is stream else entered


def _exit(self, *exc_info):
    return self._requestshook.stream.__exit__(*exc_info)


class ObservedInput(object):
    """``wsgi.input`` that feeds what the application reads to a head.

    It offers exactly what the server's object offers (see
    :mod:`requestshook.capture.mirror`): the reading methods it has are
    observed (``read``, ``read1``, ``readline``, ``readlines``,
    ``readinto``, ``readinto1``, iteration, ``next``) with their own
    signatures, ``seek`` is followed so bytes read again are counted
    once, and everything else (``close`` where there is one, eventlet's
    100-continue helpers, ...) is the server's own attribute.
    """

    __slots__ = ('_requestshook',)

    OPTIONAL = {
        'read': _read, 'read1': _read1, 'readline': _readline,
        'readlines': _readlines, 'readinto': _readinto,
        'readinto1': _readinto1, 'seek': _seek, 'next': _next,
        '__iter__': _iter, '__next__': _dunder_next, '__len__': _len,
        '__bool__': _bool, '__enter__': _enter, '__exit__': _exit,
    }

    def __new__(cls, wsgi_input, head):
        if cls is ObservedInput:
            cls = mirror.class_for(ObservedInput, wsgi_input)
        return object.__new__(cls)

    def __init__(self, wsgi_input, head):
        object.__setattr__(self, '_requestshook',
                           _Reading(wsgi_input, head))

    def __getattr__(self, name):
        if name == '_requestshook':
            raise AttributeError(name)
        return getattr(self._requestshook.stream, name)

    def __setattr__(self, name, value):
        setattr(self._requestshook.stream, name, value)

    def __delattr__(self, name):
        delattr(self._requestshook.stream, name)
