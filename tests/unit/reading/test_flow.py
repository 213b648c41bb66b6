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

from requestshook import event
from requestshook.reading import flow as flow_module
from requestshook.reading import sample


def _shape(flow):
    def node(hop):
        return ('%s %s' % (hop.method, hop.path),
                [node(child) for child in hop.children])
    return [node(root) for root in flow.roots]


def test_nested_calls_form_the_call_tree():
    flow = flow_module.Flow('t', sample.image_create().events)
    assert len(flow) == 11
    shape = _shape(flow)
    assert [call for call, _children in shape] == [
        'GET /identity', 'POST /identity/v3/auth/tokens',
        'POST /image/v2/images',
        'PUT /image/v2/images/%s/file' % sample.IMAGE_ID]
    upload = shape[3][1]
    assert [call for call, _children in upload] == [
        'POST /identity/v3/auth/tokens',
        'HEAD /v1/%s/glance' % sample.ACCOUNT,
        'PUT /v1/%s/glance/%s' % (sample.ACCOUNT, sample.IMAGE_ID)]
    assert upload[1][1] == [('GET /identity/v3/auth/tokens', [])]


def test_children_in_start_order_even_when_logged_out_of_order():
    events = sample.image_create().events
    in_order = flow_module.Flow('t', events)
    shuffled = flow_module.Flow('t', events[1::2] + events[::2])
    reversed_ = flow_module.Flow('t', list(reversed(events)))
    assert _shape(shuffled) == _shape(in_order)
    assert _shape(reversed_) == _shape(in_order)


def test_flow_summary_properties():
    flow = flow_module.Flow('t', sample.image_create().events)
    assert flow.root_call == 'openstack: POST /image/v2/images'
    assert flow.services == ['openstack', 'keystone', 'glance-api',
                             'swift-proxy-server']
    assert flow.errors == 0
    assert flow.started_at == '2023-11-14T22:13:20.000000Z'
    assert flow.duration_ms > 1600


def test_missing_parent_is_inferred_from_time_containment():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET',
                  'http://h/image/v2/images') as hop:
        sample.validate(log, 'glance-api', hop)
    with log.call('openstack', 'keystone', 'GET', 'http://h/identity'):
        pass
    validation = [r for r in log.events
                  if r['url'].endswith('/auth/tokens')]
    for record in validation:
        record['parent'] = None
    flow = flow_module.Flow('t', log.events)
    assert _shape(flow) == [
        ('GET /image/v2/images', [('GET /identity/v3/auth/tokens', [])]),
        ('GET /identity', [])]
    child = flow.roots[0].children[0]
    assert child.parent_inferred
    assert not flow.roots[0].parent_inferred


def test_events_without_trace_or_parent_fall_back_to_time_order():
    log = sample.image_list()
    for record in log.events:
        record['trace'] = None
        record['parent'] = None
    flow = flow_module.Flow('t', log.events)
    roots = [hop.start for hop in flow.roots]
    assert roots == sorted(roots)
    assert [h.path for h in flow.walk()] == [
        '/identity', '/identity/v3/auth/tokens', '/image/v2/images',
        '/identity/v3/auth/tokens']


def test_parent_cycle_does_not_lose_hops():
    log = sample.LogMaker()
    with log.call('a', 'b', 'GET', 'http://h/one'):
        pass
    with log.call('b', 'a', 'GET', 'http://h/two'):
        pass
    first = log.events[0]['id']
    second = log.events[4]['id']
    for record in log.events:
        record['parent'] = second if record['id'] == first else first
    flow = flow_module.Flow('t', log.events)
    assert len(list(flow.walk())) == 2


def test_errors_count_failed_unanswered_and_5xx():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET', 'http://h/a',
                  status=503):
        pass
    with log.call('openstack', 'glance-api', 'GET', 'http://h/b',
                  error='boom'):
        pass
    with log.call('openstack', 'glance-api', 'GET', 'http://h/c',
                  answered=False):
        pass
    with log.call('openstack', 'glance-api', 'GET', 'http://h/d',
                  status=404):
        pass
    assert flow_module.Flow('t', log.events).errors == 3


def test_status_text():
    log = sample.LogMaker()
    with log.call('a', 'b', 'GET', 'http://h/a', status=201):
        pass
    with log.call('a', 'b', 'GET', 'http://h/b', error='refused'):
        pass
    with log.call('a', 'b', 'GET', 'http://h/c', answered=False):
        pass
    hops = list(flow_module.Flow('t', log.events).walk())
    assert [flow_module.status_text(h) for h in hops] == [
        '201 Created', 'error: refused', 'no response']


def test_error_after_a_status():
    log = sample.LogMaker()
    with log.call('a', 'b', 'GET', 'http://h/a', sides=(event.SERVER,),
                  error='client went away'):
        pass
    log.events[-1]['status'] = 200
    hop = next(flow_module.Flow('t', log.events).walk())
    assert flow_module.status_text(hop) == \
        '200 OK, then error: client went away'


def test_missing_parent_is_inferred_by_the_callees_own_clock():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET',
                  'http://h/image/v2/images') as hop:
        sample.validate(log, 'glance-api', hop)
    for record in log.events:
        if record['url'].endswith('/auth/tokens'):
            record['parent'] = None
    for seconds in (-30.0, 30.0):
        flow = flow_module.Flow('t', sample.shift_clock(
            log.events, 'laptop', seconds))
        assert _shape(flow) == [
            ('GET /image/v2/images',
             [('GET /identity/v3/auth/tokens', [])])], seconds


def test_flow_started_at_is_its_first_roots_start():
    events = sample.image_create().events
    expected = flow_module.Flow('t', events).started_at
    shifted = sample.shift_clock(events, 'ctl1', -30.0)
    assert flow_module.Flow('t', shifted).started_at == expected
