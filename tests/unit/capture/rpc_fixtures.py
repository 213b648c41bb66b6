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


"""What the RPC hook's tests share: fake:// transport, servers, clients.

The tests' modules get the ``rec`` and ``transport`` fixtures by importing
``rec_fixture`` and ``transport_fixture`` from here.
"""

import contextlib
import copy
import time

import pytest

from requestshook.capture import outbound
from requestshook.capture import rpc
from tests.unit import fake_recorder

messaging = pytest.importorskip('oslo_messaging')
from oslo_config import cfg  # noqa: E402
from oslo_messaging.rpc import dispatcher as rpc_dispatcher  # noqa: E402
from oslo_messaging.rpc import server as rpc_server  # noqa: E402

OWN_NAME = 'rpc-tests'


@pytest.fixture(name='rec')
def rec_fixture(monkeypatch):
    """The hooks installed, writing to a fake recorder."""
    recorder = fake_recorder.FakeRecorder(max_body_bytes=4096)
    monkeypatch.setattr(outbound._settings, 'recorder', recorder)
    monkeypatch.setattr(outbound._settings, 'service_name', OWN_NAME)
    monkeypatch.setattr(outbound._settings, 'one_trace', False)
    monkeypatch.setattr(outbound._settings, 'hmac_key', None)
    outbound.install()
    rpc.install()
    Recording.messages = []
    return recorder


@pytest.fixture(name='transport')
def transport_fixture():
    one = messaging.get_rpc_transport(cfg.CONF, url='fake:///')
    yield one
    one.cleanup()


def unhooked(owner, name):
    """``owner.name`` (a class's or module's) without our wrapper."""
    function = vars(owner)[name]
    return getattr(function, '__wrapped__', function)


class Recording(rpc_dispatcher.RPCDispatcher):
    """A dispatcher of a receiver WITHOUT requestshook, keeping messages."""

    messages = []

    def dispatch(self, incoming):
        Recording.messages.append(copy.deepcopy(incoming.message))
        return unhooked(rpc_dispatcher.RPCDispatcher, 'dispatch')(
            self, incoming)


class Echo(object):
    def echo(self, ctxt, value):
        return value


@contextlib.contextmanager
def serving(transport, endpoints, topic='conductor', server='host1',
            exchange='nova', executor='threading', serializer=None,
            dispatcher=None):
    """An RPC server running ``endpoints`` until the block ends."""
    target = messaging.Target(exchange=exchange, topic=topic, server=server)
    if dispatcher is None:
        running = messaging.get_rpc_server(transport, target, endpoints,
                                           executor=executor,
                                           serializer=serializer)
    else:
        running = rpc_server.RPCServer(transport, target,
                                       dispatcher(endpoints, serializer),
                                       executor)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        running.wait()


def client(transport, topic='conductor', exchange='nova', serializer=None):
    # A call that gets no answer fails in 30 s, not oslo's default 60.
    return messaging.get_rpc_client(
        transport, messaging.Target(exchange=exchange, topic=topic),
        serializer=serializer, timeout=30)


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError('condition not met in %.1f s' % timeout)
        time.sleep(0.01)
