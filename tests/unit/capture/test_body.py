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


import io

import pytest

from requestshook.capture import body
from requestshook.capture import observed_input


def test_head_keeps_first_bytes_and_counts_all():
    head = body.BodyHead(4)
    for chunk in (b'ab', b'', b'cdef', b'gh'):
        head.feed(chunk)
    assert head.head == b'abcd'
    assert head.size == 8
    record = head.record('application/octet-stream')
    assert record['truncated'] is True
    assert record['size'] == 8
    assert record['kind'] == 'binary'


def test_head_whole_json_is_parsed():
    head = body.BodyHead(100)
    head.feed(b'{"a": ')
    head.feed(b'[1, 2]}')
    assert head.record('application/json')['data'] == {'a': [1, 2]}


def test_head_of_one_chunk_is_that_chunk_and_later_chunks_add_to_it():
    chunk = b'{"a": 1}'
    head = body.BodyHead(100)
    head.feed(chunk)
    assert head.head is chunk
    head.feed(b' and more')
    assert head.head == b'{"a": 1} and more'
    assert chunk == b'{"a": 1}'


def test_head_copies_a_buffer_the_application_may_change():
    buffer = bytearray(b'abc')
    head = body.BodyHead(100)
    head.feed(buffer)
    buffer[:] = b'xyz'
    head.feed(b'!')
    assert head.head == b'abc!'
    big = b'x' * 10
    cut = body.BodyHead(4)
    cut.feed(big)
    assert cut.head == b'xxxx' and cut.size == 10


def test_head_zero_keeps_nothing():
    head = body.BodyHead(0)
    head.feed(b'abc')
    assert head.head == b''
    assert head.size == 3


def test_head_accepts_str_and_memoryview():
    head = body.BodyHead(10)
    head.feed('hé')
    head.feed(memoryview(b'xy'))
    assert head.head == 'hé'.encode('utf-8') + b'xy'
    assert head.size == 5


def test_record_of_body_read_in_part_is_truncated():
    head = body.BodyHead(100)
    head.feed(b'{"a"')
    record = head.record('application/json', expected_size=10)
    assert record['truncated'] is True
    assert record['kind'] == 'text'


def test_record_of_body_never_read_is_omitted():
    record = body.BodyHead(100).record('text/plain', expected_size=10)
    assert record['kind'] == 'omitted'
    assert record['size'] == 10


def test_record_of_empty_body():
    assert body.BodyHead(10).record(None)['kind'] == 'empty'


class _Input(object):
    def __init__(self, data):
        self._stream = io.BytesIO(data)
        self.closed = False
        self.extra = 'passed through'

    def read(self, *args):
        return self._stream.read(*args)

    def readline(self, *args):
        return self._stream.readline(*args)

    def readlines(self, *args):
        return self._stream.readlines(*args)

    def __iter__(self):
        return iter(self._stream)

    def close(self):
        self.closed = True


DATA = b'line one\nline two\nline three\n'


@pytest.mark.parametrize('consume', [
    lambda s: s.read(),
    lambda s: s.read(5) + s.read(),
    lambda s: s.readline() + s.readline(3) + s.read(),
    lambda s: b''.join(s.readlines()),
    lambda s: b''.join(s.readlines(4)) + s.read(),
    lambda s: b''.join(iter(s)),
])
def test_observed_input_passes_exactly_and_observes(consume):
    head = body.BodyHead(1000)
    stream = observed_input.ObservedInput(_Input(DATA), head)
    assert consume(stream) == DATA
    assert head.head == DATA
    assert head.size == len(DATA)


def test_observed_input_close_and_extras_pass_through():
    inner = _Input(DATA)
    stream = observed_input.ObservedInput(inner, body.BodyHead(10))
    assert stream.extra == 'passed through'
    stream.close()
    assert inner.closed


def test_observed_input_errors_pass_through():
    class Broken(_Input):
        def read(self, *args):
            raise IOError('client gone')
    stream = observed_input.ObservedInput(Broken(b''), body.BodyHead(10))
    with pytest.raises(IOError, match='client gone'):
        stream.read(3)


class _AppIter(object):
    def __init__(self, chunks, fail_at=None, fail_close=False):
        self._chunks = list(chunks)
        self._fail_at = fail_at
        self._fail_close = fail_close
        self.close_calls = 0
        self.position = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.position == self._fail_at:
            raise ValueError('app broke')
        if self.position >= len(self._chunks):
            raise StopIteration
        self.position += 1
        return self._chunks[self.position - 1]

    def close(self):
        self.close_calls += 1
        if self._fail_close:
            raise RuntimeError('close broke')


class _Ends(object):
    def __init__(self):
        self.calls = []

    def __call__(self, how, exc):
        self.calls.append((how, exc))


def test_app_iter_finished_after_exhaustion_and_close():
    inner, ends, head = _AppIter([b'ab', b'', b'cd']), _Ends(), \
        body.BodyHead(10)
    observed = body.ObservedAppIter(inner, head, ends)
    assert list(observed) == [b'ab', b'', b'cd']
    assert ends.calls == []        # not before close: bytes may be queued
    observed.close()
    observed.close()
    assert ends.calls == [(body.FINISHED, None)]
    assert inner.close_calls == 1
    assert head.head == b'abcd'


def test_app_iter_closed_early_is_abandoned():
    inner, ends = _AppIter([b'ab', b'cd']), _Ends()
    observed = body.ObservedAppIter(inner, body.BodyHead(10), ends)
    assert next(observed) == b'ab'
    observed.close()
    assert ends.calls == [(body.ABANDONED, None)]
    assert inner.close_calls == 1


def test_app_iter_raising_reports_and_reraises_the_same_exception():
    inner, ends = _AppIter([b'ab', b'cd'], fail_at=1), _Ends()
    observed = body.ObservedAppIter(inner, body.BodyHead(10), ends)
    next(observed)
    with pytest.raises(ValueError, match='app broke') as raised:
        next(observed)
    observed.close()
    assert ends.calls == [(body.RAISED, raised.value)]
    assert inner.close_calls == 1


def test_app_iter_close_raising_reports_and_reraises():
    inner, ends = _AppIter([b'ab'], fail_close=True), _Ends()
    observed = body.ObservedAppIter(inner, body.BodyHead(10), ends)
    list(observed)
    with pytest.raises(RuntimeError, match='close broke'):
        observed.close()
    assert ends.calls[0][0] == body.RAISED


def test_generator_app_iter_gets_generator_exit_when_abandoned():
    seen = []

    def generate():
        try:
            yield b'a'
            yield b'b'
        except GeneratorExit:
            seen.append('exit')
            raise
    ends = _Ends()
    observed = body.ObservedAppIter(generate(), body.BodyHead(10), ends)
    next(observed)
    observed.close()
    assert seen == ['exit']
    assert ends.calls == [(body.ABANDONED, None)]


def test_app_iter_without_close():
    ends = _Ends()
    observed = body.ObservedAppIter(iter([b'x']), body.BodyHead(10), ends)
    assert list(observed) == [b'x']
    observed.close()
    assert ends.calls == [(body.FINISHED, None)]


def test_scope_is_entered_around_each_step():
    log = []

    class Scope(object):
        def __enter__(self):
            log.append('enter')

        def __exit__(self, *exc_info):
            log.append('exit')

    def generate():
        log.append('step')
        yield b'a'
    observed = body.ObservedAppIter(generate(), body.BodyHead(10), _Ends(),
                                    Scope())
    list(observed)
    assert log[:3] == ['enter', 'step', 'exit']


def test_list_result_stays_a_list_that_can_be_iterated_twice():
    ends, head = _Ends(), body.BodyHead(10)
    observed = body.observe_app_iter([b'ab', b'cd'], head, ends)
    assert isinstance(observed, list) and len(observed) == 2
    # eventlet.wsgi sums len() over the result, then sends it
    assert sum(map(len, observed)) == 4
    assert b''.join(observed) == b'abcd'
    assert head.head == b'abcd' and head.size == 4
    observed.close()
    observed.close()
    assert ends.calls == [(body.FINISHED, None)]


def test_list_subclass_close_is_called_once():
    class Chunks(list):
        closed = 0

        def close(self):
            self.closed += 1
    chunks, ends = Chunks([b'x']), _Ends()
    observed = body.observe_app_iter(chunks, body.BodyHead(10), ends)
    observed.close()
    observed.close()
    assert chunks.closed == 1


def test_other_results_are_iterators_without_length():
    generated = body.observe_app_iter(iter([b'a']), body.BodyHead(1),
                                      _Ends())
    assert isinstance(generated, body.ObservedAppIter)
    with pytest.raises(TypeError):
        len(generated)


# -- the wrapper offers exactly what the server's input offers ---------------

ATTRIBUTES = ('close', 'read', 'readline', 'readlines', 'readinto',
              'read1', 'readinto1', 'seek', 'tell', 'fileno', 'next',
              'getsize', 'discard', '__iter__', '__next__', '__len__',
              '__enter__', '__exit__')


def _gunicorn_chunked(data):
    from gunicorn.http import body as gunicorn_body
    from gunicorn.http import unreader

    class Request(object):
        # What ChunkedReader asks of its request (trailers go here).
        headers = []
    encoded = b''.join(b'%x\r\n%s\r\n' % (len(part), part)
                       for part in (data[:7], data[7:])) + b'0\r\n\r\n'
    return gunicorn_body.Body(gunicorn_body.ChunkedReader(
        Request(), unreader.IterUnreader([encoded])))


SERVER_INPUTS = {
    'gunicorn-chunked': _gunicorn_chunked,
    'bytesio': io.BytesIO,
    'buffered': lambda data: io.BufferedReader(io.BytesIO(data)),
    'plain': _Input,
}


@pytest.mark.parametrize('make', SERVER_INPUTS.values(),
                         ids=list(SERVER_INPUTS))
def test_observed_input_has_exactly_the_attributes_of_what_it_wraps(make):
    inner = make(DATA)
    stream = observed_input.ObservedInput(inner, body.BodyHead(100))
    for name in ATTRIBUTES:
        assert hasattr(stream, name) == hasattr(inner, name), name


def test_gunicorn_chunked_input_has_no_close_and_neither_has_its_wrapper():
    # glance's format inspector calls close() only where it exists.
    stream = observed_input.ObservedInput(_gunicorn_chunked(DATA),
                                          body.BodyHead(100))
    with pytest.raises(AttributeError):
        stream.close()


@pytest.mark.parametrize('make', SERVER_INPUTS.values(),
                         ids=list(SERVER_INPUTS))
def test_observed_input_methods_have_the_same_signatures(make):
    import inspect
    inner = make(DATA)
    stream = observed_input.ObservedInput(inner, body.BodyHead(100))
    for name in ('read', 'readline', 'readlines', 'readinto', 'seek'):
        if hasattr(inner, name):
            assert inspect.signature(getattr(stream, name)) == \
                inspect.signature(getattr(inner, name)), name


def test_read_takes_the_keyword_the_server_names():
    head = body.BodyHead(100)
    stream = observed_input.ObservedInput(_gunicorn_chunked(DATA), head)
    assert stream.read(size=4) == DATA[:4]
    assert head.head == DATA[:4]
    with pytest.raises(TypeError):
        stream.read(length=4)


# eventlet.wsgi is imported in a process of its own: imported here, it
# leaves this process unfit for the tests that fork an eventlet child.
EVENTLET_CHECK = '''
import inspect, io, warnings
warnings.simplefilter('ignore')
from eventlet import wsgi
from requestshook.capture import body
from requestshook.capture import observed_input
names = %r
data = %r
inner = wsgi.Input(io.BytesIO(data), len(data), sock=None)
head = body.BodyHead(100)
stream = observed_input.ObservedInput(inner, head)
for name in names:
    assert hasattr(stream, name) == hasattr(inner, name), name
for name in ('read', 'readline', 'readlines'):
    assert inspect.signature(getattr(stream, name)) == \\
        inspect.signature(getattr(inner, name)), name
assert stream.read(length=4) == data[:4]
try:
    stream.read(size=4)
except TypeError:
    pass
else:
    raise AssertionError('read(size=) accepted')
assert b''.join(stream) == data[4:]
assert head.head == data and head.at_end
print('ok')
'''


def test_eventlet_input():
    import subprocess
    import sys
    done = subprocess.run(
        [sys.executable, '-c', EVENTLET_CHECK % (ATTRIBUTES, DATA)],
        capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == 'ok', done.stderr


@pytest.mark.parametrize('make', [_gunicorn_chunked, _Input, io.BytesIO],
                         ids=str)
def test_iterating_the_input_is_observed(make):
    head = body.BodyHead(100)
    stream = observed_input.ObservedInput(make(DATA), head)
    assert b''.join(stream) == DATA
    assert head.head == DATA and head.size == len(DATA)
    assert head.at_end


@pytest.mark.parametrize('make', [_gunicorn_chunked, io.BytesIO], ids=str)
def test_next_on_the_input_is_observed(make):
    head = body.BodyHead(100)
    stream = observed_input.ObservedInput(make(DATA), head)
    assert next(stream) == b'line one\n'
    assert iter(stream) is stream
    assert head.head == b'line one\n'


def test_gunicorn_next_method_is_observed():
    head = body.BodyHead(100)
    stream = observed_input.ObservedInput(_gunicorn_chunked(DATA), head)
    assert stream.next() == b'line one\n'
    assert head.size == len(b'line one\n')


def test_readinto_is_observed():
    head = body.BodyHead(100)
    stream = observed_input.ObservedInput(
        io.BufferedReader(io.BytesIO(DATA)), head)
    buffer = bytearray(10)
    assert stream.readinto(buffer) == 10
    assert stream.readinto1(memoryview(buffer)[:4]) == 4
    buffer.extend(b'!')     # no view of it is left behind
    assert head.head == DATA[:14]


def test_seek_back_and_read_again_is_counted_once():
    head = body.BodyHead(100)
    stream = observed_input.ObservedInput(io.BytesIO(DATA), head)
    assert stream.read(5) == DATA[:5]
    assert stream.seek(0) == 0
    assert stream.read() == DATA
    stream.seek(3)
    stream.read()
    assert head.head == DATA
    assert head.size == len(DATA)


def test_seek_forward_counts_the_skipped_bytes_as_not_kept():
    head = body.BodyHead(100)
    stream = observed_input.ObservedInput(io.BytesIO(DATA), head)
    stream.seek(5)
    assert stream.read() == DATA[5:]
    assert head.size == len(DATA)
    record = head.record('text/plain')
    assert record['truncated'] is True
    assert head.head == b''


def test_context_manager_input_gives_the_wrapper():
    head = body.BodyHead(100)
    stream = observed_input.ObservedInput(io.BytesIO(DATA), head)
    with stream as entered:
        assert entered is stream
        entered.read(4)
    assert head.head == DATA[:4]


def test_attributes_set_on_the_wrapper_reach_the_input():
    inner = _Input(DATA)
    stream = observed_input.ObservedInput(inner, body.BodyHead(10))
    stream.marker = 'set'
    assert inner.marker == 'set' and stream.marker == 'set'


def test_head_ignores_what_is_not_bytes():
    head = body.BodyHead(10)
    head.feed(42)
    head.feed(object())
    head.feed(b'ok')
    assert head.head == b'ok' and head.size == 2


def test_chunked_body_never_read_is_not_empty():
    record = body.BodyHead(10).record('text/plain', complete=False)
    assert record['kind'] == 'omitted' and record['reason'] == 'not read'


def test_body_read_in_part_says_the_rest_was_not_observed():
    head = body.BodyHead(100)
    head.feed(b'abc')
    record = head.record('text/plain', complete=False)
    assert record['data'] == 'abc' and record['size'] == 3
    assert record['truncated'] is True
    assert record['reason'] == 'not read to its end'


def test_sized_result_keeps_its_length_and_can_be_iterated_again():
    class Sized(object):
        def __init__(self, chunks):
            self.chunks = chunks

        def __len__(self):
            return len(self.chunks)

        def __iter__(self):
            return iter(self.chunks)
    ends, head = _Ends(), body.BodyHead(10)
    observed = body.observe_app_iter(Sized([b'ab', b'cd']), head, ends)
    assert len(observed) == 2
    # eventlet.wsgi sums len() over such a result, then sends it
    assert sum(map(len, observed)) == 4
    assert b''.join(observed) == b'abcd'
    observed.close()
    assert head.head == b'abcd' and head.size == 4
    assert ends.calls == [(body.FINISHED, None)]


def test_non_bytes_chunk_passes_to_the_server_unchanged():
    ends, head = _Ends(), body.BodyHead(10)
    observed = body.observe_app_iter(iter([b'a', 42, 'text']), head, ends)
    assert list(observed) == [b'a', 42, 'text']
