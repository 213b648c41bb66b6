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

import json
import os

import pytest

from requestshook.recording import filters

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

SEED = [
    {'from': 'glance-api', 'to': 'keystone', 'method': 'GET',
     'urls': ['/identity/{version}/limits',
              '/identity/{version}/registered_limits',
              '/identity/{version}/endpoints/{endpoint_id}']},
    {'from': 'placement-api', 'to': 'keystone', 'urls': ['/identity/']},
]


@pytest.fixture
def seed():
    return filters.Filters(SEED)


@pytest.mark.parametrize('caller, callee, method, path', [
    ('glance-api', 'keystone', 'GET', '/identity/v3/limits'),
    ('Glance-API', 'KEYSTONE', 'get', '/identity/v3/limits'),
    ('glance-api', 'keystone', 'GET', '/identity/v3/limits?project_id=x'),
    ('glance-api', 'keystone', 'GET', '/identity/v3/limits/abc'),
    ('glance-api', 'keystone', 'GET', '/identity/v3/endpoints/1f2e'),
    ('glance-api', 'keystone', 'GET',
     'http://10.0.0.5/identity/v3/registered_limits'),
    ('placement-api', 'keystone', 'POST', '/identity'),
    ('placement-api', 'keystone', 'GET', '/identity/v3/auth/tokens'),
])
def test_seed_drops(seed, caller, callee, method, path):
    assert seed.drops(caller, callee, method, path)


@pytest.mark.parametrize('caller, callee, method, path', [
    ('glance-api', 'keystone', 'POST', '/identity/v3/limits'),
    ('glance-api', 'keystone', 'GET', '/identity/v3/limitsx'),
    ('glance-api', 'keystone', 'GET', '/identity/limits'),
    ('glance-api', 'keystone', 'GET', '/identity/v3/endpoints'),
    ('glance-api', 'keystone', 'GET', '/identity/v3/auth/tokens'),
    ('nova-api', 'keystone', 'GET', '/identity/v3/limits'),
    ('glance-api', 'swift-proxy-server', 'GET', '/identity/v3/limits'),
    ('placement-api', 'keystone', 'GET', '/identityx'),
    ('placement-api', 'nova-api', 'GET', '/identity'),
    (None, None, None, None),
])
def test_seed_keeps(seed, caller, callee, method, path):
    assert not seed.drops(caller, callee, method, path)


def test_fields_not_named_match_anything():
    only_method = filters.Filters([{'method': 'HEAD'}])
    assert only_method.drops('a', 'b', 'head', '/x')
    assert not only_method.drops('a', 'b', 'GET', '/x')


def test_lists_match_any_item():
    rule = filters.Filters([{'from': ['a', 'B'], 'method': ['GET', 'head'],
                             'urls': '/v2/{x}'}])
    assert rule.drops('b', 'z', 'HEAD', '/v2/images')
    assert not rule.drops('c', 'z', 'GET', '/v2/images')
    assert not rule.drops('a', 'z', 'GET', '/v2')


def test_placeholder_is_exactly_one_segment():
    rule = filters.Filters([{'urls': ['/v1/{account}/{container}/obj']}])
    assert rule.drops('a', 'b', 'GET', '/v1/AUTH_x/c/obj')
    assert not rule.drops('a', 'b', 'GET', '/v1/AUTH_x/obj')
    assert not rule.drops('a', 'b', 'GET', '/v1/AUTH_x/c/d/obj')
    assert not rule.drops('a', 'b', 'GET', '/v1//c/obj')


def test_template_characters_are_literal():
    rule = filters.Filters([{'urls': ['/a.b+(c)']}])
    assert rule.drops('x', 'y', 'GET', '/a.b+(c)/d')
    assert not rule.drops('x', 'y', 'GET', '/aXb+(c)')


def test_root_template_matches_everything():
    assert filters.Filters([{'urls': ['/']}]).drops('a', 'b', 'c', '/x/y')


def test_bare_list_and_object_forms_agree():
    bare = filters.parse(json.dumps(SEED))
    wrapped = filters.parse(json.dumps({'filters': SEED}))
    assert len(bare) == len(wrapped) == 2
    assert bare.drops('placement-api', 'keystone', 'GET', '/identity/v3')
    assert wrapped.drops('placement-api', 'keystone', 'GET', '/identity/v3')


def test_empty_list_drops_nothing():
    empty = filters.parse('[]')
    assert not empty
    assert not empty.drops('a', 'b', 'GET', '/')


@pytest.mark.parametrize('text', [
    '{"filters": [', 'null', '"x"', '{"rules": []}',
    '{"filters": [], "extra": 1}', '{"filters": {}}', '[1]', '[{}]',
    '[{"form": "glance-api"}]', '[{"urls": ["identity/"]}]',
    '[{"urls": []}]', '[{"method": 3}]', '[{"to": ["a", 1]}]',
])
def test_invalid_documents(text):
    with pytest.raises(filters.FilterError):
        filters.parse(text)


def test_load_reads_utf8_with_bom(tmp_path):
    path = tmp_path / 'f.json'
    path.write_bytes(b'\xef\xbb\xbf' + json.dumps(SEED).encode())
    assert len(filters.load(str(path))) == 2


def test_load_rejects_non_utf8(tmp_path):
    path = tmp_path / 'f.json'
    path.write_bytes(b'[\xff]')
    with pytest.raises(filters.FilterError):
        filters.load(str(path))


def test_shipped_file_holds_the_seed_entries():
    shipped = filters.load(os.path.join(
        ROOT, 'etc/requestshook/should_not_hook.json'))
    assert len(shipped) == 5
    assert shipped.drops('glance-api', 'keystone', 'GET',
                         '/identity/v3/endpoints/abc')
    assert shipped.drops('nova-compute', 'placement-api', 'GET',
                         '/placement/resource_providers/u1/traits')
    assert shipped.drops('placement-api', 'keystone', 'GET',
                         '/identity/v3/auth/tokens')
    assert not shipped.drops('nova-compute', 'placement-api', 'PUT',
                             '/placement/resource_providers/u1/traits')
    # nova-compute's periodic RPC, not the same calls inside a boot.
    periodic = ('nova-compute', 'nova-conductor', 'CALL',
                'rpc://nova/conductor/object_class_action_versions')
    assert shipped.drops(*periodic, root=True)
    assert not shipped.drops(*periodic, root=False)
    assert shipped.drops('nova-compute', 'nova-scheduler', 'CAST',
                         'rpc://nova/scheduler/sync_instance_info', True)


# RPC hops (requestshook.capture.rpc) are asked with method CALL or CAST
# and their rpc://<exchange>/<topic>[.<server>]/<method> url.

def test_rpc_method_names_rpc_methods_only():
    dropping = filters.Filters([{
        'from': 'nova-compute',
        'rpc_method': ['object_action', 'Object_Class_Action_Versions']}])
    assert dropping.drops('nova-compute', 'nova-conductor', 'CALL',
                          'rpc://nova/conductor/object_action')
    assert dropping.drops('nova-compute', 'nova-conductor', 'CALL',
                          'rpc://nova/conductor/object_class_action_versions')
    assert not dropping.drops('nova-compute', 'nova-conductor', 'CAST',
                              'rpc://nova/conductor/build_instances')
    assert not dropping.drops('nova-api', 'nova-conductor', 'CALL',
                              'rpc://nova/conductor/object_action')
    # An HTTP call whose path ends the same way is not an RPC method.
    assert not dropping.drops('nova-compute', 'placement-api', 'GET',
                              'http://127.0.0.1/object_action')
    assert not dropping.drops('nova-compute', 'placement-api', 'GET',
                              '/object_action')


def test_from_to_and_kind_match_rpc_hops():
    dropping = filters.Filters([{'from': 'nova-compute',
                                 'to': 'nova-conductor', 'method': 'call'}])
    assert dropping.drops('nova-compute', 'nova-conductor', 'CALL',
                          'rpc://nova/conductor/object_action')
    assert not dropping.drops('nova-compute', 'nova-conductor', 'CAST',
                              'rpc://nova/conductor/object_action')


def test_rpc_method_must_be_names():
    with pytest.raises(filters.FilterError):
        filters.Filters([{'rpc_method': []}])
    with pytest.raises(filters.FilterError):
        filters.Filters([{'rpc_method': 3}])


def test_root_drops_only_calls_that_start_a_flow():
    dropping = filters.Filters([{'from': 'nova-compute', 'root': True}])
    call = ('nova-compute', 'nova-conductor', 'CALL',
            'rpc://nova/conductor/object_action')
    assert dropping.drops(*call, root=True)
    assert not dropping.drops(*call, root=False)
    assert not dropping.drops(*call)
    assert filters.Filters([{'from': 'nova-compute', 'root': False}]).drops(
        *call, root=False)
    with pytest.raises(filters.FilterError):
        filters.Filters([{'from': 'x', 'root': 'yes'}])
