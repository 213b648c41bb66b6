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

"""The seed scenarios on a real stack: hop structure, transparency, secrets.

Each scenario is one real ``openstack`` command; its flow is read back
from the shared log with requestshook's reading API and checked against
the call trees the seed pages document.
"""

import os
import re

import pytest

from requestshook.loopback import scenarios

UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
PLACEHOLDERS = {
    '{image_id}': UUID,
    '{account}': 'AUTH_[0-9a-f]{32}',
    '{project_id}': '[0-9a-f]{32}',
}
CLIENT = 'openstack'
KEYSTONE = 'keystone'
GLANCE = 'glance-api'
SWIFT = 'swift-proxy-server'


def _pattern(template):
    regex = re.escape(template)
    for name, value in PLACEHOLDERS.items():
        regex = regex.replace(re.escape(name), value)
    return re.compile('^%s(\\?.*)?$' % regex)


def matching(hops, caller, callee, method, template):
    pattern = _pattern(template)
    return [hop for hop in hops
            if (hop.caller, hop.callee, hop.method) == (caller, callee,
                                                        method)
            and pattern.match(hop.path)]


def one(hops, caller, callee, method, template):
    found = matching(hops, caller, callee, method, template)
    assert found, 'no %s -> %s %s %s among:\n%s' % (
        caller, callee, method, template, describe(hops))
    return found[0]


def below(hop):
    """Every hop made while ``hop`` was served."""
    return list(hop.walk())[1:]


def describe(hops):
    return '\n'.join('  %s -> %s %s %s %s' % (hop.caller, hop.callee,
                                              hop.method, hop.path,
                                              hop.status)
                     for hop in hops)


def body_size(body):
    return (body or {}).get('size')


@pytest.fixture(scope='module')
def flows(stack, recorded):
    return {name: scenarios.flow_of(stack, result)
            for name, result in recorded.results.items()}


def _validates_token(hops, caller):
    return matching(hops, caller, KEYSTONE, 'GET', '/v3/auth/tokens')


def test_every_scenario_is_one_answered_flow(recorded, flows):
    assert list(recorded.results) == scenarios.NAMES
    for name, flow in flows.items():
        hops = list(flow.walk())
        assert hops, name
        unanswered = [hop for hop in hops if hop.final is None]
        assert not unanswered, (name, describe(unanswered))
        assert {hop.trace for hop in hops} == {
            recorded.results[name].trace_id}, name


def test_client_gets_a_token_first(flows):
    for name, flow in flows.items():
        roots = flow.roots
        one(roots, CLIENT, KEYSTONE, 'GET', '/v3')
        token = one(roots, CLIENT, KEYSTONE, 'POST', '/v3/auth/tokens')
        assert token.status == 201, name
        first_glance = min(roots.index(hop) for hop in roots
                           if hop.callee == GLANCE)
        assert roots.index(token) < first_glance, name


def test_image_create(recorded, flows):
    roots = flows['image-create'].roots
    image_id = recorded.image_id
    size = os.path.getsize(recorded.image_file)

    create = one(roots, CLIENT, GLANCE, 'POST', '/v2/images')
    assert create.status == 201
    assert _validates_token(below(create), GLANCE), describe(below(create))

    upload = one(roots, CLIENT, GLANCE, 'PUT', '/v2/images/{image_id}/file')
    assert upload.path == '/v2/images/%s/file' % image_id
    assert upload.status == 204
    assert roots.index(create) < roots.index(upload)
    assert body_size(upload.request_body) == size
    inside = below(upload)
    head = one(inside, GLANCE, SWIFT, 'HEAD', '/v1/{account}/glance')
    put = one(inside, GLANCE, SWIFT, 'PUT',
              '/v1/{account}/glance/{image_id}')
    assert put.path.endswith('/glance/' + image_id)
    assert put.status == 201
    assert body_size(put.request_body) == size
    assert inside.index(head) < inside.index(put)
    swift_calls = [hop for hop in inside
                   if (hop.caller, hop.callee) == (GLANCE, SWIFT)]
    assert any(_validates_token(below(hop), SWIFT)
               for hop in swift_calls), describe(inside)


def test_image_save_streams_swift_to_glance_to_client(recorded, flows):
    roots = flows['image-save'].roots
    size = os.path.getsize(recorded.image_file)
    download = one(roots, CLIENT, GLANCE, 'GET', '/v2/images/{image_id}/file')
    assert download.status == 200
    assert body_size(download.response_body) == size
    fetch = one(below(download), GLANCE, SWIFT, 'GET',
                '/v1/{account}/glance/{image_id}')
    assert fetch.status == 200
    assert body_size(fetch.response_body) == size
    assert _validates_token(below(fetch), SWIFT), describe(below(fetch))


@pytest.mark.parametrize('name, method, template, status', [
    ('image-list', 'GET', '/v2/images', 200),
    ('image-show', 'GET', '/v2/images/{image_id}', 200),
    ('image-set-shared', 'PATCH', '/v2/images/{image_id}', 200),
    ('image-add-project', 'POST', '/v2/images/{image_id}/members', 200),
    ('image-member-list', 'GET', '/v2/images/{image_id}/members', 200),
    ('image-delete', 'DELETE', '/v2/images/{image_id}', 204),
])
def test_scenario_makes_its_glance_call(flows, name, method, template,
                                        status):
    call = one(flows[name].roots, CLIENT, GLANCE, method, template)
    assert call.status == status


@pytest.mark.parametrize('name', scenarios.NAMES)
def test_glance_validates_each_new_token_with_keystone(flows, name):
    # Each command gets a token of its own; glance-api's authtoken
    # validates it on its first use (version discovery needs none) and
    # caches the answer.
    first = [hop for hop in flows[name].roots
             if hop.callee == GLANCE and hop.path.startswith('/v2/')][0]
    assert _validates_token(below(first), GLANCE), describe(below(first))


def test_image_add_project_looks_the_project_up(flows):
    roots = flows['image-add-project'].roots
    lookups = [hop for hop in roots if hop.callee == KEYSTONE
               and hop.path.startswith('/v3/projects')]
    assert lookups, describe(roots)


def test_image_delete_removes_the_swift_object(flows):
    delete = one(flows['image-delete'].roots, CLIENT, GLANCE, 'DELETE',
                 '/v2/images/{image_id}')
    gone = one(below(delete), GLANCE, SWIFT, 'DELETE',
               '/v1/{account}/glance/{image_id}')
    assert gone.status == 204


def test_saved_image_is_the_uploaded_one(recorded, unrecorded):
    uploaded = scenarios.sha256(recorded.image_file)
    assert recorded.saved_sha256 == uploaded
    assert unrecorded.run.saved_sha256 == uploaded


_VARYING = [
    (re.compile(UUID), '<uuid>'),
    (re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?'), '<time>'),
]


def _normalized(text):
    for pattern, replacement in _VARYING:
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.parametrize('name', scenarios.NAMES)
def test_same_output_with_and_without_requestshook(recorded, unrecorded,
                                                   name):
    with_it = recorded.results[name]
    without = unrecorded.run.results[name]
    assert with_it.stdout.strip() or name in (
        'image-save', 'image-set-shared', 'image-delete')
    assert _normalized(with_it.stdout) == _normalized(without.stdout)


def test_nothing_recorded_while_switched_off(unrecorded):
    assert unrecorded.log_size_after == unrecorded.log_size_before


def test_log_holds_no_secret_in_clear(stack, recorded, unrecorded):
    issued = stack.openstack(['token', 'issue', '-f', 'value', '-c', 'id'])
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token
    with open(stack.log_file) as log:
        text = log.read()
    assert '{SHA256}' in text     # tokens were seen, and written hashed
    secrets = [token] + list(stack.site.passwords.values())
    leaked = [secret[:6] + '...' for secret in secrets if secret in text]
    assert not leaked
    fernet = re.findall(r'gAAAAA[\w-]{20,}', text)
    assert not fernet, fernet[:1]
