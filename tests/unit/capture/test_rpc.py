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


"""The RPC hook with oslo.messaging's in-process fake driver (fake://)."""

import threading

import pytest

from requestshook.capture import context
from requestshook.capture import outbound
from requestshook import event
from tests.unit.capture import rpc_fixtures as fx
from tests.unit import fake_recorder
from tests.unit.capture.rpc_fixtures import rec_fixture  # noqa: F401
from tests.unit.capture.rpc_fixtures import transport_fixture  # noqa: F401

messaging = pytest.importorskip('oslo_messaging')


def test_call_carries_the_ids_and_makes_the_hop_current(rec, transport):
    seen = {}

    class Conductor(object):
        def echo(self, ctxt, value):
            seen['hop'] = context.current()
            return {'echo': value}

    parent = context.Hop(trace='t' * 32, hop_id='p' * 32, service='nova-api')
    with fx.serving(transport, [Conductor()]):
        client = fx.client(transport)
        with context.Serving(parent):
            assert client.call({}, 'echo', value=[1, 2]) == {'echo': [1, 2]}
        fx.wait_for(lambda: len(rec.events) == 4)
    sent, arrived, answered, returned = rec.events
    assert [(e['side'], e['event']) for e in rec.events] == [
        ('client', 'request'), ('server', 'request'),
        ('server', 'response'), ('client', 'response')]
    for one in rec.events:
        assert one['id'] == sent['id']
        assert one['trace'] == 't' * 32
        assert one['parent'] == 'p' * 32
        assert one['from'] == 'nova-api'
        assert one['proto'] == 'rpc'
        assert one['method'] == 'CALL'
        assert one['url'] == 'rpc://nova/conductor/echo'
    assert sent['to'] == 'nova-conductor'
    assert arrived['to'] == fx.OWN_NAME
    assert sent['body']['data'] == {'value': [1, 2]}
    assert arrived['body']['data'] == {'value': [1, 2]}
    assert answered['body']['data'] == {'echo': [1, 2]}
    assert returned['body']['data'] == {'echo': [1, 2]}
    for one in (answered, returned):
        assert 'status' not in one and 'reason' not in one
        assert one['duration_ms'] >= 0
    assert seen['hop'] == context.Hop(sent['trace'], sent['id'],
                                      fx.OWN_NAME)
    assert context.current() is None


def test_a_root_call_gets_a_new_trace_and_no_parent(rec, transport):
    with fx.serving(transport, [fx.Echo()]):
        fx.client(transport).call({}, 'echo', value=1)
        fx.client(transport).call({}, 'echo', value=2)
        fx.wait_for(lambda: len(rec.events) == 8)
    first, second = rec.events[0], rec.events[4]
    assert first['parent'] is None and first['from'] == fx.OWN_NAME
    assert first['trace'] != second['trace']
    assert first['id'] != second['id']


def test_cast_writes_one_client_event(rec, transport):
    done = threading.Event()

    class Conductor(object):
        def build_instances(self, ctxt, count):
            done.set()

    with fx.serving(transport, [Conductor()]):
        assert fx.client(transport).cast({}, 'build_instances',
                                         count=2) is None
        assert done.wait(5)
        fx.wait_for(lambda: len(rec.events) == 3)
    assert [(e['side'], e['event']) for e in rec.events] == [
        ('client', 'request'), ('server', 'request'), ('server', 'response')]
    assert {e['method'] for e in rec.events} == {'CAST'}
    assert len({e['id'] for e in rec.events}) == 1
    assert rec.events[2]['body']['kind'] == event.BODY_EMPTY
    assert 'fanout' not in rec.events[0]


def test_server_and_default_exchange_in_the_url(rec, transport):
    with fx.serving(transport, [fx.Echo()], topic='compute',
                    server='host1', exchange=None):
        client = fx.client(transport, topic='compute', exchange=None)
        client.prepare(server='host1').call({}, 'echo', value=1)
        fx.wait_for(lambda: len(rec.events) == 4)
    assert rec.events[0]['url'] == 'rpc://openstack/compute.host1/echo'
    assert rec.events[0]['to'] == 'nova-compute'
    assert rec.events[1]['url'] == rec.events[0]['url']


def test_fanout_cast_reaches_every_server_under_one_hop(rec, transport):
    arrived = []

    class Agent(object):
        def refresh(self, ctxt):
            arrived.append(context.current().hop_id)

    with fx.serving(transport, [Agent()], topic='compute', server='host1'), \
            fx.serving(transport, [Agent()], topic='compute',
                       server='host2'):
        fx.client(transport, topic='compute').prepare(fanout=True).cast(
            {}, 'refresh')
        fx.wait_for(lambda: len(rec.events) == 5)
    sent = rec.events[0]
    assert sent['fanout'] is True and sent['method'] == 'CAST'
    assert sent['url'] == 'rpc://nova/compute/refresh'
    servers = [e for e in rec.events if e['side'] == 'server']
    assert len(servers) == 4
    assert {e['id'] for e in servers} == {sent['id']}
    assert arrived == [sent['id'], sent['id']]
    assert all(e['fanout'] for e in servers if e['event'] == 'request')


def test_an_endpoint_raising(rec, transport):
    class Conductor(object):
        def boom(self, ctxt):
            raise ValueError('no valid host')

        @messaging.expected_exceptions(KeyError)
        def expected(self, ctxt):
            raise KeyError('gone')

    with fx.serving(transport, [Conductor()]):
        client = fx.client(transport)
        with pytest.raises(ValueError):
            client.call({}, 'boom')
        with pytest.raises(KeyError):
            client.call({}, 'expected')
        fx.wait_for(lambda: len(rec.events) == 8)
    kinds = [(e['side'], e['event']) for e in rec.events]
    assert kinds == [('client', 'request'), ('server', 'request'),
                     ('server', 'error'), ('client', 'error')] * 2
    errors = [e for e in rec.events if e['event'] == 'error']
    assert errors[0]['error'] == 'ValueError: no valid host'
    assert errors[1]['error'] == 'ValueError: no valid host'
    assert errors[2]['error'] == "KeyError: 'gone'"
    assert errors[3]['error'] == "KeyError: 'gone'"
    for one in errors:
        assert one['duration_ms'] >= 0 and 'status' not in one


def test_a_timeout_is_an_error_event(rec, transport):
    client = fx.client(transport, topic='nobody-listens').prepare(
        timeout=0.2)
    with pytest.raises(messaging.MessagingTimeout):
        client.call({}, 'select_destinations', spec={})
    (sent, failed) = rec.events
    assert failed['event'] == 'error' and failed['side'] == 'client'
    assert failed['id'] == sent['id']
    assert failed['error'].startswith('MessagingTimeout')
    assert failed['duration_ms'] >= 150


def test_recording_off_sends_the_message_unchanged(rec, transport):
    rec.is_enabled = False
    received = []

    class Conductor(object):
        def echo(self, ctxt, value):
            received.append(ctxt)
            return value

    with fx.serving(transport, [Conductor()], dispatcher=fx.Recording):
        fx.client(transport).call({'request_id': 'req-1'}, 'echo', value=3)
    assert rec.events == []
    assert fx.Recording.messages[-1] == {'method': 'echo',
                                         'args': {'value': 3}}
    assert received == [{'request_id': 'req-1'}]


def test_filtered_calls_still_carry_the_ids(rec, transport):
    hops = []

    class Conductor(object):
        def object_action(self, ctxt):
            hops.append(context.current())

    rec.dropped.add((fx.OWN_NAME, 'nova-conductor', 'CALL',
                     'rpc://nova/conductor/object_action'))
    with fx.serving(transport, [Conductor()]):
        fx.client(transport).call({}, 'object_action')
    # The server side is kept: only the client side matched the filter.
    assert [(e['side'], e['event']) for e in rec.events] == [
        ('server', 'request'), ('server', 'response')]
    assert rec.events[0]['id'] == hops[0].hop_id
    assert rec.events[0]['from'] == fx.OWN_NAME


class _Broken(fake_recorder.FakeRecorder):
    def emit(self, event):
        raise RuntimeError('disk on fire')


def test_a_failing_recorder_never_reaches_the_service(rec, transport,
                                                      monkeypatch):
    broken = _Broken()
    monkeypatch.setattr(outbound._settings, 'recorder', broken)
    hops = []

    class Conductor(object):
        def echo(self, ctxt, value):
            hops.append(context.current())
            return value

        def boom(self, ctxt):
            raise ValueError('own error')

    with fx.serving(transport, [Conductor()]):
        client = fx.client(transport)
        assert client.call({}, 'echo', value=5) == 5
        with pytest.raises(ValueError, match='own error'):
            client.call({}, 'boom')
        client.cast({}, 'echo', value=6)
        fx.wait_for(lambda: len(hops) == 2)
    # The call went on unrecorded, without the hop the failed emit made.
    assert hops == [None, None]
