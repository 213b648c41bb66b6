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

from requestshook import event
from requestshook.reading import index
from requestshook.reading import sample


def _records(events):
    return [(event.encode(record), record) for record in events]


def _interleave(*logs):
    """Events of several logs in one stream, ordered by time."""
    merged = [record for log in logs for record in log.events]
    return sorted(merged, key=lambda record: record['ts'])


def _concurrent():
    create = sample.image_create(sample.LogMaker(start=1700000000.0))
    listing = sample.image_list(sample.LogMaker(start=1700000000.0021))
    return create, listing, _interleave(create, listing)


def test_concurrent_flows_interleaved_in_one_file():
    create, listing, events = _concurrent()
    traces = [r['trace'] for r in events]
    switches = sum(1 for a, b in zip(traces, traces[1:]) if a != b)
    assert switches > 2     # really interleaved, not one after the other
    summaries = index.scan(_records(events))
    assert [(s.root, s.hops) for s in summaries] == [
        ('openstack: POST /image/v2/images', 11),
        ('openstack: GET /image/v2/images', 4)]
    assert summaries[0].key == create.events[0]['trace']
    assert summaries[1].key == listing.events[0]['trace']
    assert summaries[0].service_names == [
        'openstack', 'keystone', 'glance-api', 'swift-proxy-server']


def test_only_the_chosen_flows_events_are_kept():
    create, listing, events = _concurrent()
    summaries = index.scan(_records(events), 'last')
    assert summaries[0].events is None
    assert summaries[1].events == listing.events
    summaries = index.scan(_records(events), '1')
    assert summaries[0].events == create.events
    assert summaries[1].events is None
    summaries = index.scan(_records(events))
    assert all(s.events is None for s in summaries)


def test_load_flow_by_last_index_and_prefix():
    create, listing, events = _concurrent()
    flow, _ = index.load_flow(_records(events))
    assert flow.key == listing.events[0]['trace'] and flow.index == 2
    flow, _ = index.load_flow(_records(events), '1')
    assert len(flow) == 11
    prefix = create.events[0]['trace'][:6]
    flow, _ = index.load_flow(_records(events), prefix.upper())
    assert flow.key.startswith(prefix)


def test_selection_errors():
    _create, _listing, events = _concurrent()
    with pytest.raises(index.SelectionError, match='no flow number 3: '
                       'the log holds 2 flows'):
        index.load_flow(_records(events), '3')
    with pytest.raises(index.SelectionError, match="no flow whose trace "
                       "id starts with 'xyz'"):
        index.load_flow(_records(events), 'xyz')
    with pytest.raises(index.SelectionError, match='no flows in the log'):
        index.load_flow([], 'last')


def test_ambiguous_prefix():
    summaries = []
    for number, key in enumerate(['abc1', 'abc2', 'abd3'], 1):
        record = {'ts': 'x', 'url': '/', 'event': 'request'}
        summary = index.FlowSummary(key, number, record)
        summaries.append(summary)
    with pytest.raises(index.SelectionError,
                       match="'ab' is ambiguous: it starts 3 trace ids"):
        index.choose(summaries, 'ab')
    assert [s.key for s in index.choose(summaries, 'abd')] == ['abd3']


def test_hop_with_other_trace_joins_its_parents_flow():
    log = sample.image_create()
    for record in log.events:
        if record['parent']:
            record['trace'] = 'other-trace-of-' + record['parent']
    summaries = index.scan(_records(log.events))
    assert len(summaries) == 1 and summaries[0].hops == 11


def test_traceless_client_events_group_by_process():
    log = sample.image_list()
    for record in log.events:
        record['trace'] = None
        record['parent'] = None
    summaries = index.scan(_records(log.events))
    keys = [s.key for s in summaries]
    assert keys[0] == 'process-laptop-5150'
    assert sum(s.hops for s in summaries) == 4


def test_server_only_hop_without_trace_is_its_own_flow():
    log = sample.LogMaker()
    with log.call('curl', 'glance-api', 'GET', 'http://h/v2/images',
                  sides=(event.SERVER,)) as hop:
        sample.validate(log, 'glance-api', hop)
    for record in log.events:
        if record['from'] == 'curl':
            record['trace'] = None
        else:
            record['trace'] = event.new_id()
    summaries = index.scan(_records(log.events))
    assert len(summaries) == 1
    assert summaries[0].hops == 2


def test_grep_marks_matching_flows():
    log = sample.image_create()
    other = sample.LogMaker(start=1700000100.0)
    with other.call('nova-compute', 'placement-api', 'GET',
                    'http://h/placement/resource_providers'):
        pass
    summaries = index.scan(_records(log.events + other.events),
                           grep='RESOURCE_providers')
    assert [s.matched for s in summaries] == [False, True]


def test_errors_counted_once_per_hop():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET', 'http://h/x',
                  status=500):
        pass
    summary, = index.scan(_records(log.events))
    assert summary.errors == 1


def test_is_index():
    assert index.is_index('3') and index.is_index('1234567')
    assert index.is_index('1-3') and index.is_index('1,4-5')
    assert not index.is_index('12345678') and not index.is_index('ab12')
    assert not index.is_index('1-') and not index.is_index('-1')
    assert index.indexes('1,4-5,4') == [1, 4, 5]


def test_several_flows_make_one():
    create, listing, events = _concurrent()
    flow, _ = index.load_flow(_records(events), '1-2')
    assert len(flow) == 15 and flow.index == '1-2'
    assert flow.key == '%s,%s' % (create.events[0]['trace'],
                                  listing.events[0]['trace'])
    roots = [hop.start for hop in flow.roots]
    assert roots == sorted(roots)
    with pytest.raises(index.SelectionError, match='no flow number 3'):
        index.load_flow(_records(events), '2,3')


def test_remembered_hops_are_bounded(monkeypatch):
    monkeypatch.setattr(index, 'REMEMBERED_HOPS', 8)
    sizes = []
    forget = index._forget_oldest_half

    def spy(hop_flows):
        forget(hop_flows)
        sizes.append(len(hop_flows))
    monkeypatch.setattr(index, '_forget_oldest_half', spy)
    logs = [sample.image_list(sample.LogMaker(start=1700000000.0 + n))
            for n in range(5)]
    summaries = index.scan(_records([r for log in logs
                                     for r in log.events]))
    # Each flow's events still land in it: children come while their
    # parent runs, long before its id is forgotten.
    assert [s.hops for s in summaries] == [4] * 5
    assert sizes == [4, 4, 4]


def test_services_prefer_the_callees_own_name():
    log = sample.LogMaker()
    command = sample.Command()
    with log.call('openstack', 'glance-api', 'GET', 'http://h:9292/v2',
                  parent=command):
        pass
    with log.call('openstack', 'nova-api', 'GET', 'http://h:8774/v2.1',
                  parent=command, sides=(event.CLIENT,)):
        pass
    for record in log.events:
        if record['side'] == event.CLIENT:
            record['to'] = record['url'].split('/')[2]
    summary, = index.scan(_records(log.events))
    assert summary.service_names == ['openstack', 'glance-api', 'h:8774']


def test_a_lone_number_is_an_index_else_a_trace_prefix():
    create, listing, events = _concurrent()
    digits = '3141592653'
    for record in create.events:
        record['trace'] = digits + record['trace'][len(digits):]
    records = _records(events)
    flow, _ = index.load_flow(records, '2')
    assert flow.key == listing.events[0]['trace']
    for prefix in ('314159', '31415926'):
        flow, _ = index.load_flow(records, prefix)
        assert flow.key == create.events[0]['trace'], prefix
        assert len(flow) == 11
    with pytest.raises(index.SelectionError, match='no flow number 7'):
        index.load_flow(records, '7')
