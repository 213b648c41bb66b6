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


import contextvars
import os
import threading

from requestshook.capture import context


def test_no_hop_by_default():
    assert contextvars.copy_context().run(context.current) is None


def test_set_and_reset():
    hop = context.Hop('t', 'h', 'svc')
    token = context.set_hop(hop)
    try:
        assert context.current() is hop
    finally:
        context.reset(token)
    assert context.current() is None


def test_serving_nests_and_restores():
    outer, inner = context.Hop('t', '1', 'a'), context.Hop('t', '2', 'b')
    serving = context.Serving(outer)
    with serving:
        with context.Serving(inner):
            assert context.current() is inner
        assert context.current() is outer
        with serving:
            assert context.current() is outer
        assert context.current() is outer
    assert context.current() is None


def test_hop_is_per_thread():
    seen = []
    with context.Serving(context.Hop('t', '1', 'a')):
        thread = threading.Thread(target=lambda: seen.append(
            context.current()))
        thread.start()
        thread.join()
    assert seen == [None]


def test_root_trace_from_environment(monkeypatch):
    monkeypatch.setenv(context.TRACE_ID_ENV, 'abc123')
    assert context.root_trace() == 'abc123'
    assert context.root_trace(one_trace=True) == 'abc123'


def test_root_trace_per_call_or_per_process(monkeypatch):
    monkeypatch.delenv(context.TRACE_ID_ENV, raising=False)
    assert context.root_trace() != context.root_trace()
    first = context.root_trace(one_trace=True)
    assert len(first) == 32
    assert context.root_trace(one_trace=True) == first


def test_root_trace_changes_after_fork(monkeypatch):
    monkeypatch.delenv(context.TRACE_ID_ENV, raising=False)
    parent = context.root_trace(one_trace=True)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:    # pragma: no cover - runs in the child
        status = 1
        try:        # the child never returns into pytest
            os.close(reader)
            os.write(writer, context.root_trace(one_trace=True).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    child = os.read(reader, 100).decode()
    os.close(reader)
    os.waitpid(pid, 0)
    assert child and child != parent
