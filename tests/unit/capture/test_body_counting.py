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

"""The observers once the head is full: they only count, and still see
seeks, the body's end, odd chunks, errors, passes and the hop."""

import io

import pytest

from requestshook.capture import body
from requestshook.capture import observed_input
from requestshook.capture import context

DATA = bytes(range(256)) * 4     # 1 KiB
HOP = context.Hop('trace', 'hop', 'glance')


def _input(max_bytes=8, data=DATA):
    head = body.BodyHead(max_bytes)
    return observed_input.ObservedInput(io.BytesIO(data), head), head


def test_sized_reads_past_the_head_are_counted():
    stream, head = _input()
    read = b''.join(iter(lambda: stream.read(100), b''))
    assert read == DATA
    assert head.head == DATA[:8] and head.size == len(DATA)
    assert head.at_end


def test_read_of_all_past_the_head_is_the_end():
    stream, head = _input()
    assert stream.read(100) == DATA[:100]
    assert stream.read(100) == DATA[100:200]
    assert stream.read() == DATA[200:]
    assert head.at_end and head.size == len(DATA)


@pytest.mark.parametrize('size', [None, -1])
def test_read_of_all_by_argument_past_the_head_is_the_end(size):
    stream, head = _input()
    stream.read(100)
    stream.read(100)
    assert stream.read(size) == DATA[200:]
    assert head.at_end


def test_empty_sized_read_past_the_head_is_not_the_end():
    stream, head = _input()
    stream.read(100)
    stream.read(100)
    assert stream.read(0) == b''
    assert not head.at_end


def test_seek_back_past_the_head_counts_bytes_once():
    stream, head = _input()
    stream.read(100)
    stream.read(100)
    stream.seek(50)
    assert stream.read(100) == DATA[50:150]
    assert stream.read(100) == DATA[150:250]
    assert head.size == 250
    stream.seek(0, io.SEEK_END)
    assert head.size == 250
    assert stream.read(10) == b''
    assert head.at_end


def test_seek_forward_past_the_head_counts_what_was_skipped():
    stream, head = _input()
    stream.read(100)
    stream.read(100)
    stream.seek(300)
    assert stream.read(100) == DATA[300:400]
    assert head.size == 400
    assert head.head == DATA[:8]


def test_reads_of_other_types_past_the_head_are_counted():
    class Views(object):
        def __init__(self):
            self.stream = io.BytesIO(DATA)

        def read(self, size):
            return memoryview(self.stream.read(size))
    head = body.BodyHead(8)
    stream = observed_input.ObservedInput(Views(), head)
    for _ in range(3):
        stream.read(100)
    assert head.size == 300 and head.head == DATA[:8]


def test_readline_after_counted_reads_is_observed():
    stream, head = _input(data=b'x' * 100 + b'\nrest\n')
    stream.read(50)
    stream.read(20)
    assert stream.readline() == b'x' * 30 + b'\n'
    assert stream.readline() == b'rest\n'
    assert stream.readline() == b''
    assert head.size == 106


def _chunks(count, size=100):
    return [bytes([number]) * size for number in range(count)]


class _Ends(object):
    def __init__(self):
        self.calls = []

    def __call__(self, how, exc):
        self.calls.append((how, exc))


def test_app_iter_counts_every_chunk_past_the_head():
    chunks, ends, head = _chunks(20), _Ends(), body.BodyHead(150)
    observed = body.ObservedAppIter(iter(chunks), head, ends,
                                    context.Serving(HOP))
    assert list(observed) == chunks
    observed.close()
    assert head.size == 2000 and head.head == b''.join(chunks)[:150]
    assert ends.calls == [(body.FINISHED, None)]


def test_app_iter_sets_the_hop_around_every_step_past_the_head():
    seen = []

    def generate():
        for chunk in _chunks(10):
            seen.append(context.current())
            yield chunk
        seen.append(context.current())
    observed = body.ObservedAppIter(generate(), body.BodyHead(50), _Ends(),
                                    context.Serving(HOP))
    outside = []
    for _chunk in observed:
        outside.append(context.current())
    observed.close()
    assert seen == [HOP] * 11
    assert outside == [None] * 10


def test_app_iter_enters_other_scopes_around_every_step_past_the_head():
    log = []

    class Scope(object):
        def __enter__(self):
            log.append('enter')

        def __exit__(self, *exc_info):
            log.append('exit')

    def generate():
        for chunk in _chunks(5):
            log.append('step')
            yield chunk
    observed = body.ObservedAppIter(generate(), body.BodyHead(10), _Ends(),
                                    Scope())
    list(observed)
    assert log == ['enter', 'step', 'exit'] * 5 + ['enter', 'exit']


def test_app_iter_raising_past_the_head_reports_it_outside_the_hop():
    failure = ValueError('app broke')
    during = []

    def generate():
        yield from _chunks(5)
        raise failure

    def ends(how, exc):
        during.append((how, exc, context.current()))
    observed = body.ObservedAppIter(generate(), body.BodyHead(10), ends,
                                    context.Serving(HOP))
    with pytest.raises(ValueError) as raised:
        list(observed)
    assert raised.value is failure
    assert context.current() is None
    observed.close()
    assert during == [(body.RAISED, failure, None)]


def test_app_iter_closed_early_past_the_head_is_abandoned():
    ends = _Ends()
    observed = body.ObservedAppIter(iter(_chunks(10)), body.BodyHead(10),
                                    ends, context.Serving(HOP))
    for _ in range(5):
        next(observed)
    observed.close()
    assert ends.calls == [(body.ABANDONED, None)]


def test_app_iter_odd_chunks_past_the_head_are_counted_as_fed():
    ends, head = _Ends(), body.BodyHead(4)
    chunks = [b'abcdef', 'hé', memoryview(b'xyz'), bytearray(b'12'), 42]
    observed = body.ObservedAppIter(iter(chunks), head, ends)
    assert list(observed) == chunks
    assert head.size == 6 + 3 + 3 + 2


def test_sized_result_iterated_again_past_the_head_counts_once():
    class Sized(object):
        def __init__(self, chunks):
            self.chunks = chunks

        def __len__(self):
            return len(self.chunks)

        def __iter__(self):
            return iter(self.chunks)
    chunks, ends, head = _chunks(6), _Ends(), body.BodyHead(150)
    observed = body.observe_app_iter(Sized(chunks), head, ends)
    assert sum(map(len, observed)) == 600
    assert b''.join(observed) == b''.join(chunks)
    observed.close()
    assert head.size == 600 and head.head == b''.join(chunks)[:150]
    assert ends.calls == [(body.FINISHED, None)]


def test_second_pass_longer_than_the_first_counts_the_new_chunks():
    class Growing(object):
        def __init__(self):
            self.passes = 0

        def __len__(self):
            return 3

        def __iter__(self):
            self.passes += 1
            return iter(_chunks(3 * self.passes))
    head = body.BodyHead(150)
    observed = body.observe_app_iter(Growing(), head, _Ends())
    assert len(list(observed)) == 3
    assert len(list(observed)) == 6
    assert head.size == 600
