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

import pytest

from requestshook.render import placeholders

UUID = 'a42bfade-78ec-4c95-b7b4-272ba265072c'
HEX = '7c4cda7e4807414bbdfcb22b535a9802'


@pytest.mark.parametrize('path,expected', [
    ('/v2/images/%s' % UUID, '/v2/images/{image_id}'),
    ('/image/v2/images/%s/members' % UUID,
     '/image/v2/images/{image_id}/members'),
    ('/v2.0/ports/%s' % UUID, '/v2.0/ports/{port_id}'),
    ('/v3/projects/%s' % HEX, '/v3/projects/{project_id}'),
    ('/v3/policies/%s' % HEX, '/v3/policies/{policy_id}'),
    ('/v3/auth/tokens', '/v3/auth/tokens'),
    ('/identity/v3', '/identity/v3'),
    ('/v1/AUTH_%s' % HEX, '/v1/{account}'),
    ('/volume/v3/%s/volumes' % HEX, '/volume/v3/{project_id}/volumes'),
])
def test_names_from_the_collection(path, expected):
    assert placeholders.Placeholders([path]).apply(path) == expected


def test_a_value_keeps_its_name_everywhere():
    paths = ['/image/v2/images/%s/file' % UUID,
             '/v1/AUTH_%s/glance/%s' % (HEX, UUID)]
    names = placeholders.Placeholders(paths)
    assert [names.apply(p) for p in paths] == [
        '/image/v2/images/{image_id}/file', '/v1/{account}/glance/{image_id}']
    assert names.values == {'image_id': UUID, 'account': 'AUTH_' + HEX}


def test_unknown_swift_object_and_container():
    other = 'b42bfade-78ec-4c95-b7b4-272ba265072c'
    path = '/v1/AUTH_%s/%s/%s' % (HEX, HEX, other)
    assert placeholders.Placeholders([path]).apply(path) == \
        '/v1/{account}/{container}/{object}'


def test_two_values_of_one_kind_get_numbered_names():
    other = 'b42bfade-78ec-4c95-b7b4-272ba265072c'
    names = placeholders.Placeholders(['/v2/images/' + UUID,
                                       '/v2/images/' + other])
    assert names.apply('/v2/images/' + other) == '/v2/images/{image_id_2}'


def test_query_values_already_named_are_replaced():
    names = placeholders.Placeholders(['/v2/images/' + UUID])
    assert names.apply('/v2/images?marker=%s&limit=2' % UUID) == \
        '/v2/images?marker={image_id}&limit=2'


def test_words_and_versions_are_not_ids():
    for segment in ('images', 'v2.0', 'deadbeef', '12345',
                    'abcdefabcdefabcdef'):
        assert not placeholders.is_id(segment), segment
    for segment in (UUID, HEX, UUID.replace('-', ''), 'AUTH_test'):
        assert placeholders.is_id(segment), segment


def test_singular():
    assert [placeholders.singular(w) for w in
            ('images', 'policies', 'addresses', 'os-services', 'status')] \
        == ['image', 'policy', 'address', 'os_service', 'status']


def test_table():
    names = placeholders.Placeholders(['/v2/images/' + UUID,
                                       '/v1/AUTH_' + HEX])
    assert names.table() == (
        '| variables | values |\n'
        '|-----------|--------|\n'
        '| `image_id` | %s |\n'
        '| `account` | AUTH_%s |\n' % (UUID, HEX))


def test_no_placeholders():
    names = placeholders.NoPlaceholders(['/v2/images/' + UUID])
    assert names.apply('/v2/images/' + UUID) == '/v2/images/' + UUID
    assert names.table() == ''
