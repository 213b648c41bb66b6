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


"""The RPC hook's names, bodies and masks (no oslo.messaging needed)."""

import datetime

import pytest

from requestshook.capture import rpc
from requestshook import event
from requestshook.recording import redact
from tests.unit import fake_recorder


@pytest.mark.parametrize('exchange, topic, service', [
    ('nova', 'conductor', 'nova-conductor'),
    ('nova', 'scheduler', 'nova-scheduler'),
    ('nova', 'compute', 'nova-compute'),
    ('nova', 'compute.host1', 'nova-compute'),
    ('neutron', 'q-plugin', 'neutron-server'),
    ('neutron', 'q-reports-plugin', 'neutron-server'),
    ('neutron', 'q-agent-notifier-port-update', 'neutron-agent'),
    ('cinder', 'cinder-volume', 'cinder-volume'),
    ('cinder', 'cinder-volume.host@lvm', 'cinder-volume'),
    ('ironic', 'ironic.conductor_manager', 'ironic-ironic'),
    ('openstack', 'mytopic', 'mytopic'),
    (None, 'mytopic', 'mytopic'),
    ('nova', None, 'unknown'),
])
def test_the_service_consuming_a_topic(exchange, topic, service):
    assert rpc.service_for_topic(exchange, topic) == service


def test_urls():
    assert rpc.url_for('nova', 'compute', 'host1', 'build_and_run_instance') \
        == 'rpc://nova/compute.host1/build_and_run_instance'
    assert rpc.url_for('nova', 'conductor', None, 'build_instances') == \
        'rpc://nova/conductor/build_instances'
    assert rpc.url_for(None, 'conductor', None, 'ping') == \
        'rpc://openstack/conductor/ping'


def test_password_arguments_are_masked_and_nothing_else():
    args = {'new_pass': 'a', 'admin_pass': 'b', 'admin_password': 'c',
            'rescue_password': 'd', 'Passwd': 'e', 'image_pass': None,
            'passive': 'kept', 'instance': {'admin_pass': 'nested'}}
    masked = rpc.masked_arguments(args)
    assert masked == {'new_pass': redact.MASK, 'admin_pass': redact.MASK,
                      'admin_password': redact.MASK,
                      'rescue_password': redact.MASK, 'Passwd': redact.MASK,
                      'image_pass': None, 'passive': 'kept',
                      'instance': {'admin_pass': 'nested'}}
    assert args['new_pass'] == 'a'
    plain = {'instance': 1}
    assert rpc.masked_arguments(plain) is plain


def test_json_bodies_keep_a_head():
    recorder = fake_recorder.FakeRecorder(max_body_bytes=20)
    small = rpc.json_body(recorder, {'a': 1})
    assert small == {'kind': event.BODY_JSON, 'data': {'a': 1}, 'size': 7,
                     'truncated': False}
    big = rpc.json_body(recorder, {'names': ['x' * 10] * 10})
    assert big['truncated'] and big['size'] > 100
    assert big['kind'] == event.BODY_TEXT and len(big['data']) == 20
    when = datetime.datetime(2026, 11, 30, 5, 0)
    recorder.max_body_bytes = 1000
    assert rpc.json_body(recorder, {'at': when})['data'] == {
        'at': '2026-11-30 05:00:00'}
    assert rpc.json_body(recorder, None, empty_when_none=True)['kind'] == \
        event.BODY_EMPTY
    looped = []
    looped.append(looped)
    assert rpc.json_body(recorder, looped)['kind'] == event.BODY_OMITTED


def test_context_headers_show_only_safe_fields():
    ctxt = {'request_id': 'req-1', 'global_request_id': 'req-g',
            'user': 'u-1', 'tenant': 'p-1', 'auth_token': 'secret',
            'roles': ['admin']}
    assert rpc.context_headers(ctxt) == [
        ('X-Openstack-Request-Id', 'req-1'),
        ('X-Openstack-Global-Request-Id', 'req-g'),
        ('X-User-Id', 'u-1'), ('X-Project-Id', 'p-1')]
    assert rpc.context_headers({'request_id': 'req 1\nX-Evil: 1'}) == []
    assert rpc.context_headers(None) == []


def test_claimed_ids_need_an_id_and_a_trace():
    assert rpc.claimed({}) is None
    assert rpc.claimed({rpc.MESSAGE_KEY: {'id': 'a' * 32}}) is None
    ids = rpc.claimed({rpc.MESSAGE_KEY: {
        'id': 'a' * 32, 'trace': 'b' * 32, 'from': 'nova api!',
        'kind': 'bogus', 'url': 'rpc://nova/conductor/x', 'fanout': 'yes'}})
    assert ids == {'id': 'a' * 32, 'trace': 'b' * 32, 'parent': None,
                   'from': 'novaapi', 'kind': rpc.CAST,
                   'url': 'rpc://nova/conductor/x', 'fanout': False}
