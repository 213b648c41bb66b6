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

"""The compute scenarios on a real stack: one flow per command, RPC inside.

nova-api, nova-conductor, nova-scheduler, nova-compute, placement and
neutron-server are real; RabbitMQ carries the RPC hops the oslo.messaging
hook records.  Each flow is read back with requestshook's reading API.
"""

import json
import re

import pytest

from requestshook.loopback import computescenarios
from requestshook.loopback import scenarios

UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
CLIENT = 'openstack'
KEYSTONE = 'keystone'
GLANCE = 'glance-api'
NOVA_API = 'nova-api'
CONDUCTOR = 'nova-conductor'
SCHEDULER = 'nova-scheduler'
COMPUTE = 'nova-compute'
PLACEMENT = 'placement-api'
NEUTRON = 'neutron-server'


def _is_rpc(hop):
    return hop.url.startswith('rpc://')


def _rpc_name(hop):
    return hop.url.rstrip('/').rpartition('/')[2]


def describe(hops):
    return '\n'.join('  %s -> %s %s %s %s' % (hop.caller, hop.callee,
                                              hop.method, hop.url,
                                              hop.status)
                     for hop in hops)


def below(hop):
    return list(hop.walk())[1:]


def http(hops, caller, callee, method, path_regex):
    pattern = re.compile('^%s(\\?.*)?$' % path_regex)
    wanted = (caller, callee, method)
    found = [hop for hop in hops if not _is_rpc(hop)
             and (hop.caller, hop.callee, hop.method) == wanted
             and pattern.match(hop.path)]
    assert found, 'no %s -> %s %s %s among:\n%s' % (
        caller, callee, method, path_regex, describe(hops))
    return found


def rpc(hops, caller, callee, kind, name):
    wanted = (caller, callee, kind)
    found = [hop for hop in hops if _is_rpc(hop)
             and (hop.caller, hop.callee, hop.method) == wanted
             and _rpc_name(hop) == name]
    assert found, 'no %s %s => %s %s among:\n%s' % (
        kind, caller, callee, name, describe(hops))
    return found


@pytest.fixture(scope='module')
def flows(stack, compute_recorded):
    return {name: scenarios.flow_of(stack, result, timeout=30)
            for name, result in compute_recorded.results.items()}


def test_every_compute_scenario_is_one_flow(compute_recorded, flows):
    assert list(compute_recorded.results) == computescenarios.NAMES
    for name, flow in flows.items():
        hops = list(flow.walk())
        assert hops, name
        assert {hop.trace for hop in hops} == {
            compute_recorded.results[name].trace_id}, name
        unanswered = [hop for hop in hops if hop.final is None]
        assert not unanswered, (name, describe(unanswered))


def _glance_version_discovery(hop):
    # glance answers GET / in versionnegotiation, before the filter.
    return hop.callee == GLANCE and hop.path == '/'


def test_every_hop_has_both_sides_under_one_id(flows):
    # Every process of the stack is hooked: each hop's client and
    # server events were grouped under one id, RPC hops included.
    for name in ('server-create', 'server-delete'):
        one_sided = [hop for hop in flows[name].walk()
                     if hop.sides != ('client', 'server')
                     and not _glance_version_discovery(hop)]
        assert not one_sided, (name, describe(one_sided))
        assert any(_is_rpc(hop) for hop in flows[name].walk()), name


def test_server_create_is_one_flow_from_post_to_active(compute_recorded,
                                                       flows):
    roots = flows['server-create'].roots
    server_id = compute_recorded.server_id
    image_id = compute_recorded.image_id
    post = http(roots, CLIENT, NOVA_API, 'POST', '/v2.1/servers')[0]
    assert post.status == 202
    inside = below(post)
    image = http(inside, NOVA_API, GLANCE, 'GET', '/v2/images/' + UUID)
    assert any(hop.path == '/v2/images/' + image_id for hop in image)

    cast = rpc(inside, NOVA_API, CONDUCTOR, 'CAST',
               'schedule_and_build_instances')[0]
    in_cast = below(cast)
    select = rpc(in_cast, CONDUCTOR, SCHEDULER, 'CALL',
                 'select_destinations')[0]
    in_select = below(select)
    http(in_select, SCHEDULER, PLACEMENT, 'GET', '/allocation_candidates')
    claim = http(in_select, SCHEDULER, PLACEMENT, 'PUT',
                 '/allocations/' + server_id)[0]
    assert claim.status == 204

    build = rpc(in_cast, CONDUCTOR, COMPUTE, 'CAST',
                'build_and_run_instance')[0]
    assert build.url.startswith('rpc://nova/compute.')
    to_placement = [hop for hop in below(build)
                    if (hop.caller, hop.callee) == (COMPUTE, PLACEMENT)]
    assert to_placement, describe(below(build))

    # The CLI polls the server until it is ACTIVE, in the same flow.
    poll = (CLIENT, NOVA_API, 'GET')
    polls = [hop for hop in roots[roots.index(post) + 1:]
             if (hop.caller, hop.callee, hop.method) == poll
             and hop.path == '/v2.1/servers/' + server_id]
    assert polls, describe(roots)
    assert polls[-1].status == 200
    created = json.loads(compute_recorded.results['server-create'].stdout)
    assert created['status'] == 'ACTIVE'


def test_server_create_rpc_bodies_hold_no_token(flows):
    hops = [hop for hop in flows['server-create'].walk() if _is_rpc(hop)]
    assert hops
    for hop in hops:
        text = json.dumps(hop.request_body)
        assert not re.search(r'gAAAAA[\w-]{20,}', text), hop.url


def test_server_delete_reaches_neutron_from_compute(
        compute_recorded, flows):
    roots = flows['server-delete'].roots
    delete = http(roots, CLIENT, NOVA_API, 'DELETE',
                  '/v2.1/servers/' + compute_recorded.server_id)[0]
    assert delete.status == 204
    terminate = rpc(below(delete), NOVA_API, COMPUTE, 'CAST',
                    'terminate_instance')[0]
    http(below(terminate), COMPUTE, NEUTRON, 'GET', '/v2.0/ports')
    http(below(terminate), COMPUTE, PLACEMENT, 'DELETE',
         '/allocations/' + compute_recorded.server_id)


@pytest.mark.parametrize('name, action', [
    ('server-stop', 'stop_instance'),
    ('server-start', 'start_instance'),
])
def test_server_action_casts_to_compute(compute_recorded, flows, name,
                                        action):
    action_call = http(flows[name].roots, CLIENT, NOVA_API, 'POST',
                       '/v2.1/servers/%s/action'
                       % compute_recorded.server_id)[0]
    assert action_call.status == 202
    rpc(below(action_call), NOVA_API, COMPUTE, 'CAST', action)


@pytest.mark.parametrize('name, callee, path', [
    ('flavor-list', NOVA_API, '/v2.1/flavors/detail'),
    ('server-list', NOVA_API, '/v2.1/servers/detail'),
    ('server-show', NOVA_API, '/v2.1/servers/' + UUID),
    ('resource-provider-list', PLACEMENT, '/resource_providers'),
])
def test_scenario_makes_its_call(flows, name, callee, path):
    calls = http(flows[name].roots, CLIENT, callee, 'GET', path)
    assert calls[-1].status == 200


def test_server_show_lists_its_ports_in_neutron(flows):
    show = http(flows['server-show'].roots, CLIENT, NOVA_API, 'GET',
                '/v2.1/servers/' + UUID)[-1]
    http(below(show), NOVA_API, NEUTRON, 'GET', '/v2.0/ports')


_VARYING = [
    (re.compile(UUID), '<uuid>'),
    (re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?'),
     '<time>'),
    (re.compile(r'instance-[0-9a-f]{8}'), 'instance-<n>'),
    (re.compile(r'("adminPass": )"[^"]*"'), r'\1"<password>"'),
    (re.compile(r'\br-[0-9a-z]{8}\b'), 'r-<reservation>'),
    (re.compile(r'\b[0-9a-f]{32}\b'), '<id>'),
]


# A resource provider's generation grows with each change of its
# inventory or allocations: the second run sees a later one.
_GENERATION = re.compile(r'\| +\d+ \| (?=<uuid>)')


def _normalized(text):
    for pattern, replacement in _VARYING:
        text = pattern.sub(replacement, text)
    return _GENERATION.sub('| <generation> | ', text)


@pytest.mark.parametrize('name', computescenarios.NAMES)
def test_same_output_with_and_without_requestshook(compute_recorded,
                                                   compute_unrecorded, name):
    with_it = compute_recorded.results[name]
    without = compute_unrecorded.run.results[name]
    assert _normalized(with_it.stdout) == _normalized(without.stdout)


def test_nothing_recorded_while_switched_off(compute_unrecorded):
    assert compute_unrecorded.log_size_after == \
        compute_unrecorded.log_size_before


def test_log_holds_no_secret_of_the_compute_part(stack, compute_recorded,
                                                 compute_unrecorded):
    with open(stack.log_file) as log:
        text = log.read()
    created = json.loads(compute_recorded.results['server-create'].stdout)
    secrets = dict(stack.site.passwords, adminPass=created['adminPass'])
    leaked = [name for name, secret in secrets.items() if secret in text]
    assert not leaked
    assert stack.site.transport_url not in text
    assert not re.findall(r'gAAAAA[\w-]{20,}', text)
