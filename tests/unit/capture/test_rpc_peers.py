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


"""The RPC hook beside peers without it, and the ids' HMAC."""

import types

import pytest

from requestshook.capture import context
from requestshook.capture import outbound
from requestshook.capture import rpc
from tests.unit.capture import rpc_fixtures as fx
from tests.unit.capture.rpc_fixtures import rec_fixture  # noqa: F401
from tests.unit.capture.rpc_fixtures import transport_fixture  # noqa: F401

messaging = pytest.importorskip('oslo_messaging')
from oslo_context import context as oslo_context  # noqa: E402
from oslo_messaging import transport as msg_transport  # noqa: E402


class NovaLikeContext(oslo_context.RequestContext):
    """A context whose from_dict takes the keys it knows, as nova's does."""

    def __init__(self, read_deleted='no', remote_address=None,
                 quota_class=None, service_catalog=None, **kwargs):
        super(NovaLikeContext, self).__init__(**kwargs)
        self.read_deleted = read_deleted
        self.remote_address = remote_address
        self.quota_class = quota_class
        self.service_catalog = service_catalog or []

    def to_dict(self):
        values = super(NovaLikeContext, self).to_dict()
        values.update(read_deleted=self.read_deleted,
                      remote_address=self.remote_address,
                      quota_class=self.quota_class,
                      service_catalog=self.service_catalog)
        return values

    @classmethod
    def from_dict(cls, values):
        return super(NovaLikeContext, cls).from_dict(
            values,
            user_id=values.get('user_id'),
            project_id=values.get('project_id'),
            read_deleted=values.get('read_deleted', 'no'),
            remote_address=values.get('remote_address'),
            quota_class=values.get('quota_class'),
            service_catalog=values.get('service_catalog'))


class ContextSerializer(messaging.NoOpSerializer):
    def serialize_context(self, ctxt):
        return ctxt.to_dict()

    def deserialize_context(self, ctxt):
        return NovaLikeContext.from_dict(ctxt)


def _context():
    return NovaLikeContext(
        user_id='u1', project_id='p1', request_id='req-42',
        auth_token='gAAAA-secret-token', roles=['member'],
        service_catalog=[{'type': 'image', 'endpoints': []}],
        overwrite=False)


def _exchange(rec, transport, enabled, serializer, ctxt):
    """One call and one cast as an unhooked receiver sees them."""
    rec.is_enabled = enabled
    seen = []

    class Conductor(object):
        def schedule(self, context, spec, hosts):
            seen.append(('call', _as_dict(context), spec, hosts))
            return {'host': hosts[0]}

        def build(self, context, spec):
            seen.append(('cast', _as_dict(context), spec))

    with fx.serving(transport, [Conductor()], serializer=serializer,
                    dispatcher=fx.Recording):
        client = fx.client(transport, serializer=serializer)
        result = client.call(ctxt, 'schedule', spec={'vcpus': 1},
                             hosts=['h1', 'h2'])
        client.cast(ctxt, 'build', spec={'vcpus': 1})
        fx.wait_for(lambda: len(seen) == 2)
    return result, seen, fx.Recording.messages


def _as_dict(context):
    return context.to_dict() if hasattr(context, 'to_dict') else \
        dict(context)


@pytest.mark.parametrize('serializer', [ContextSerializer(), None])
def test_a_receiver_without_requestshook_behaves_as_today(
        rec, transport, serializer):
    ctxt = _context() if serializer else {'request_id': 'req-42',
                                          'auth_token': 'secret'}
    today = _exchange(rec, transport, False, serializer, ctxt)
    fx.Recording.messages = []
    hooked = _exchange(rec, transport, True, serializer, ctxt)
    # The receiver got the same context, arguments and result...
    assert hooked[0] == today[0] == {'host': 'h1'}
    assert hooked[1] == today[1]
    if serializer is None:
        assert today[1][0][1] == ctxt
    # ...although the messages held the ids, which its dispatcher ignored.
    assert all(rpc.MESSAGE_KEY not in message for message in today[2])
    assert all(rpc.MESSAGE_KEY in message for message in hooked[2])
    assert [{k: v for k, v in message.items() if k != rpc.MESSAGE_KEY}
            for message in hooked[2]] == today[2]
    # Only the sender wrote events: nothing hooked the receiver.
    assert {(e['side'], e['event']) for e in rec.events} == {
        ('client', 'request'), ('client', 'response')}


def _unhooked_sender(transport):
    original = fx.unhooked(msg_transport.Transport, '_send')
    transport._send = types.MethodType(original, transport)


def test_a_sender_without_requestshook_gives_a_root_hop(rec, transport):
    _unhooked_sender(transport)
    hops = []

    class Conductor(object):
        def echo(self, ctxt, value):
            hops.append(context.current())
            return value

    with fx.serving(transport, [Conductor()]):
        client = fx.client(transport)
        assert client.call({'request_id': 'req-1'}, 'echo', value=1) == 1
        client.cast({}, 'echo', value=2)
        fx.wait_for(lambda: len(rec.events) == 4)
    assert all(e['side'] == 'server' for e in rec.events)
    call, cast = rec.events[0], rec.events[2]
    assert call['method'] == 'CALL' and cast['method'] == 'CAST'
    for one in (call, cast):
        assert one['parent'] is None
        assert one['from'] == rpc.UNKNOWN_CALLER
        assert one['to'] == fx.OWN_NAME
        assert one['url'] == 'rpc://nova/conductor/echo'
    assert call['id'] != cast['id'] and call['trace'] != cast['trace']
    assert call['headers'] == [['X-Openstack-Request-Id', 'req-1']]
    assert [hop.hop_id for hop in hops] == [call['id'], cast['id']]


def _send_claiming(transport, ids):
    original = fx.unhooked(msg_transport.Transport, '_send')
    target = messaging.Target(exchange='nova', topic='conductor')
    message = {'method': 'echo', 'args': {'value': 1},
               rpc.MESSAGE_KEY: ids}
    return original(transport, target, {}, message, wait_for_reply=True,
                    timeout=5)


FORGED = {'id': 'f' * 32, 'trace': 'e' * 32, 'parent': 'd' * 32,
          'from': 'nova-api', 'kind': 'CALL',
          'url': 'rpc://nova/conductor/echo'}


def test_signed_ids_are_trusted_forged_ones_are_not(
        rec, transport, monkeypatch):
    monkeypatch.setattr(outbound._settings, 'hmac_key', 'k1')
    with fx.serving(transport, [fx.Echo()]):
        fx.client(transport).call({}, 'echo', value=1)
        fx.wait_for(lambda: len(rec.events) == 4)
        assert len({e['id'] for e in rec.events}) == 1
        del rec.events[:]
        assert _send_claiming(transport, FORGED) == 1
        fx.wait_for(lambda: len(rec.events) == 2)
    arrived = rec.events[0]
    assert arrived['id'] != FORGED['id']
    assert arrived['trace'] != FORGED['trace']
    assert arrived['parent'] is None
    assert arrived['from'] == rpc.UNKNOWN_CALLER


def test_keys_change_without_a_flag_day(rec, transport, monkeypatch):
    # Receivers know the new key and the old one (hmac_keys = new,old):
    # a sender still on the old key is trusted, one on neither is not,
    # and this process signs with the new one.
    from requestshook.capture import trust
    monkeypatch.setattr(outbound._settings, 'hmac_key', 'new')
    monkeypatch.setattr(outbound._settings, 'hmac_keys', ('new', 'old'))
    old_signed = dict(FORGED, hmac=trust.sign(
        'old', FORGED['id'], FORGED['from'], FORGED['trace'],
        FORGED['parent']))
    other_signed = dict(FORGED, hmac=trust.sign(
        'other', FORGED['id'], FORGED['from'], FORGED['trace'],
        FORGED['parent']))
    with fx.serving(transport, [fx.Echo()]):
        _send_claiming(transport, old_signed)
        fx.wait_for(lambda: len(rec.events) == 2)
        assert rec.events[0]['id'] == FORGED['id']
        del rec.events[:]
        _send_claiming(transport, other_signed)
        fx.wait_for(lambda: len(rec.events) == 2)
        assert rec.events[0]['id'] != FORGED['id']
    sent = rpc.carried('a' * 32, 'b' * 32, None, 'nova-api', rpc.CALL,
                       'rpc://nova/conductor/echo', False)
    assert trust.verify(['new'], sent['hmac'], 'a' * 32, 'nova-api',
                        'b' * 32, None)


def test_the_filter_gives_the_hooks_all_its_keys(monkeypatch):
    monkeypatch.setattr(outbound._settings, 'hmac_key', None)
    monkeypatch.setattr(outbound._settings, 'hmac_keys', ())
    outbound.install(hmac_key=['new', 'old'])
    assert outbound._settings.hmac_key == 'new'
    assert outbound._settings.hmac_keys == ('new', 'old')


def test_without_a_key_claimed_ids_are_taken(rec, transport):
    with fx.serving(transport, [fx.Echo()]):
        _send_claiming(transport, FORGED)
        fx.wait_for(lambda: len(rec.events) == 2)
    arrived = rec.events[0]
    assert (arrived['id'], arrived['trace'], arrived['parent'],
            arrived['from']) == (FORGED['id'], FORGED['trace'],
                                 FORGED['parent'], 'nova-api')


@pytest.mark.parametrize('ids', [
    'not a dict', {'id': 'has space', 'trace': 'e' * 32},
    {'id': 'f' * 32}, {'id': 'f' * 32, 'trace': 'e' * 32, 'parent': 7},
    dict(FORGED, url='http://elsewhere/'),
])
def test_junk_ids_give_a_root_hop_and_the_call_goes_on(rec, transport, ids):
    with fx.serving(transport, [fx.Echo()]):
        assert _send_claiming(transport, ids) == 1
        fx.wait_for(lambda: len(rec.events) == 2)
    arrived = rec.events[0]
    if isinstance(ids, dict) and ids.get('url', '').startswith('http'):
        # Good ids, a url that is not RPC's: the server names the call.
        assert arrived['id'] == FORGED['id']
        assert arrived['url'] == 'rpc://nova/conductor/echo'
    else:
        assert arrived['id'] != 'f' * 32 and arrived['parent'] is None
