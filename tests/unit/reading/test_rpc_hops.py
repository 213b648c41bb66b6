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

"""RPC hops (oslo.messaging calls and casts) as the reader sees them."""

from requestshook import event
from requestshook.reading import flow as flow_module
from requestshook.reading import index
from requestshook.reading import sample
from requestshook.reading import sample_compute


def _hops(log):
    return list(flow_module.Flow('t', log.events).walk())


def _by_call(flow):
    return {hop.call_text: hop for hop in flow.walk()}


def test_server_create_is_one_flow_rooted_at_the_clients_post():
    log = sample_compute.server_create()
    summaries = index.scan(('', record) for record in log.events)
    assert len(summaries) == 1
    assert summaries[0].root == 'openstack: POST /compute/v2.1/servers'
    assert summaries[0].errors == 0
    assert set(summaries[0].service_names) >= {
        'nova-api', 'nova-conductor', 'nova-scheduler', 'nova-compute',
        'placement-api', 'neutron-server', 'glance-api'}


def test_cast_work_hangs_under_the_cast():
    flow = flow_module.Flow('t', sample_compute.server_create().events)
    calls = _by_call(flow)
    create = calls['POST /compute/v2.1/servers']
    build = calls['cast build_instances']
    assert build.parent_hop is create
    assert [c.call_text for c in build.children] == [
        'call select_destinations', 'cast build_and_run_instance']
    pick = build.children[0]
    assert [c.caller + ' ' + c.method for c in pick.children] == [
        'nova-scheduler GET', 'nova-scheduler PUT']
    run = build.children[1]
    assert [c.callee for c in run.children] == [
        'placement-api', 'glance-api', 'neutron-server']
    assert run.callee_host == 'cmp1' and run.caller_host == 'ctl1'


def test_rpc_hop_properties():
    calls = _by_call(flow_module.Flow(
        't', sample_compute.server_create().events))
    run = calls['cast build_and_run_instance']
    assert run.is_rpc and run.is_cast and not run.fanout
    assert run.proto == 'rpc'
    assert run.method == 'CAST'
    assert run.rpc_method == 'build_and_run_instance'
    assert run.rpc_topic == 'compute.cmp1'
    assert run.sides == ('client', 'server')
    assert run.request_body['data']['node'] == 'cmp1'
    pick = calls['call select_destinations']
    assert pick.is_rpc and not pick.is_cast
    assert pick.response_body['data'] == [[{'host': 'cmp1',
                                            'nodename': 'cmp1'}]]
    assert pick.status is None and pick.answered and not pick.is_error
    post = calls['POST /compute/v2.1/servers']
    assert post.proto == 'http' and not post.is_rpc


def test_a_cast_with_only_its_request_is_not_an_unanswered_call():
    log = sample.LogMaker()
    sample_compute.cast(log, 'nova-api', 'nova-conductor', 'conductor',
                        'build_instances', sides=(event.CLIENT,))
    [cast] = _hops(log)
    assert [r['event'] for r in log.events] == ['request']
    assert not cast.answered
    assert not cast.is_error
    assert flow_module.status_text(cast) == 'sent'
    assert flow_module.Flow('t', log.events).errors == 0


def test_rpc_status_texts_and_errors():
    log = sample.LogMaker()
    with sample_compute.call(log, 'a', 'b', 'scheduler', 'pick'):
        pass
    with sample_compute.call(log, 'a', 'b', 'scheduler', 'pick',
                             error='MessagingTimeout: no reply'):
        pass
    with sample_compute.call(log, 'a', 'b', 'scheduler', 'pick',
                             answered=False):
        pass
    handled = sample_compute.cast(log, 'a', 'c', 'conductor', 'build')
    with sample_compute.dispatch(log, handled):
        pass
    broken = sample_compute.cast(log, 'a', 'c', 'conductor', 'build')
    with sample_compute.dispatch(log, broken, error='NoValidHost: none'):
        pass
    hops = _hops(log)
    assert [flow_module.status_text(h) for h in hops] == [
        'returned', 'error: MessagingTimeout: no reply', 'no response',
        'done', 'error: NoValidHost: none']
    assert [h.is_error for h in hops] == [False, True, True, False, True]
    assert flow_module.Flow('t', log.events).errors == 3


def test_fanout_cast():
    log = sample.LogMaker()
    sample_compute.cast(log, 'nova-api', 'nova-compute', 'compute',
                        'refresh', fanout=True, sides=(event.CLIENT,))
    [cast] = _hops(log)
    assert cast.fanout and cast.call_text == 'fanout cast refresh'


def test_rpc_events_follow_the_agreed_format():
    log = sample_compute.server_create()
    rpc = [r for r in log.events if r.get('proto') == 'rpc']
    assert rpc and all(r['url'].startswith('rpc://nova/') for r in rpc)
    assert all(r['method'] in ('CALL', 'CAST') for r in rpc)
    assert not [r for r in rpc if r['event'] == 'response'
                and ('status' in r or 'reason' in r)]
    casts = [r for r in rpc if r['method'] == 'CAST' and
             r['side'] == 'client']
    assert [r['event'] for r in casts] == ['request', 'request']


def test_a_flow_rooted_at_a_cast_is_listed_by_its_rpc_method():
    log = sample.LogMaker()
    sample_compute.cast(log, 'nova-compute', 'nova-conductor',
                        'conductor', 'object_action')
    [summary] = index.scan(('', record) for record in log.events)
    assert summary.root == 'nova-compute: cast object_action'


def test_a_flow_starts_when_its_root_call_started_by_the_callers_clock():
    events = sample_compute.server_create().events
    first = events[0]['ts']
    assert events[0]['host'] == 'laptop' and not events[0]['parent']
    for seconds in (-30.0, 30.0):
        shifted = sample.shift_clock(events, 'cmp1', seconds)
        [summary] = index.scan(('', record) for record in shifted)
        assert summary.start_ts == first, seconds
