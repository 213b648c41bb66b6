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

from requestshook.reading import index
from requestshook.reading import sample
from requestshook.reading import source
from requestshook.serve import catalog as catalog_module
from requestshook.serve import files


def _mixed_log(tmp_path):
    """Two commands at once, a failed download, a lone client call."""
    log = sample.image_create()
    sample.image_list(log)
    root = sample.Command()
    with log.call('openstack', 'glance-api', 'GET',
                  sample.GLANCE + '/v2/images/x/file', status=503,
                  parent=root) as hop:
        with log.call('glance-api', 'swift-proxy-server', 'GET',
                      sample.SWIFT + '/v1/a/glance/x', parent=hop,
                      sides=('client',), error='ConnectionError: refused'):
            pass
    path = tmp_path / 'rh.log'
    log.write(str(path))
    return path


def _feed_file(catalog, path, generation=1):
    offset = 0
    batch = []
    for line, record in source.LogSource([str(path)]):
        batch.append((files.position(generation, offset), record))
        offset += len(line)
    catalog.feed(batch)


def test_flows_are_grouped_and_summed_as_requestshook_flows_does(tmp_path):
    path = _mixed_log(tmp_path)
    catalog = catalog_module.Catalog()
    _feed_file(catalog, path)
    expected = index.scan(source.LogSource([str(path)]))
    got = list(catalog.flows.values())
    assert [(f.key, f.index, f.root, f.hops, f.service_names, f.errors,
             f.start_ts, f.end_ts) for f in got] == \
        [(f.key, f.index, f.root, f.hops, f.service_names, f.errors,
          f.start_ts, f.end_ts) for f in expected]
    assert len(got) == 3
    failed = got[2]
    assert failed.statuses == {503}
    assert '/image/v2/images/x/file' in failed.paths


def test_positions_point_at_each_flow_s_own_lines(tmp_path):
    path = _mixed_log(tmp_path)
    catalog = catalog_module.Catalog()
    _feed_file(catalog, path)
    data = path.read_bytes()
    for flow in catalog.flows.values():
        positions = catalog.positions(flow.key)
        assert len(positions) == sum(
            1 for line in data.splitlines() if flow.key.encode() in line)
        for value in positions:
            offset = files.split_position(value)[1]
            assert data[offset:data.index(b'\n', offset)].count(
                flow.key.encode()) >= 1


def test_request_ids_find_their_flow_whatever_the_case(tmp_path):
    log = sample.image_list()
    ids = [value for record in log.events for name, value in
           record.get('headers') or ()
           if name.lower() == 'x-openstack-request-id']
    assert ids
    catalog = catalog_module.Catalog()
    catalog.feed([(None, record) for record in log.events])
    (key,) = catalog.flows
    for request_id in ids:
        assert catalog.find_request_id(request_id.upper()) == key
        assert catalog.find_request_id(' %s ' % request_id) == key
    assert catalog.find_request_id('req-nothing') is None


def test_memory_is_bounded_the_oldest_flows_are_forgotten():
    unused = []
    catalog = catalog_module.Catalog(max_flows=3, on_unused=unused.append)
    logs = [sample.image_list(sample.LogMaker(start=1700000000.0 + n))
            for n in range(10)]
    for number, log in enumerate(logs):
        generation = 1 if number < 5 else 2
        catalog.feed([(files.position(generation, i), record)
                      for i, record in enumerate(log.events)])
        if number == 4:
            catalog.retire(1)       # logrotate moved generation 1 away
            assert unused == []     # flows still point into it
    assert len(catalog) == 3
    assert catalog.forgotten == 7
    assert [f.index for f in catalog.flows.values()] == [8, 9, 10]
    # Forgotten flows' request ids are forgotten with them.
    first_ids = [value for record in logs[0].events
                 for name, value in record.get('headers') or ()
                 if name.lower() == 'x-openstack-request-id']
    assert catalog.find_request_id(first_ids[0]) is None
    assert len(catalog.by_request_id) == sum(
        len(f.request_ids) for f in catalog.flows.values())
    # So are their hops: only the kept flows' hops are remembered.
    assert set(catalog.hop_flows.values()) == set(catalog.flows)
    assert len(catalog.hop_flows) == sum(
        f.hops for f in catalog.flows.values())
    # Generation 1 is closed once no kept flow points into it.
    assert unused == [1]


def test_a_flow_keeps_at_most_max_flow_events_positions(monkeypatch):
    monkeypatch.setattr(catalog_module, 'MAX_FLOW_EVENTS', 5)
    log = sample.image_create()
    catalog = catalog_module.Catalog()
    catalog.feed([(files.position(1, i), r)
                  for i, r in enumerate(log.events)])
    (flow,) = catalog.flows.values()
    assert len(flow.positions) == 5
    assert flow.unreadable == len(log.events) - 5


def test_hops_remembered_are_bounded():
    catalog = catalog_module.Catalog(remembered_hops=10)
    for n in range(5):
        catalog.feed([(None, r) for r in sample.image_create(
            sample.LogMaker(start=1700000000.0 + n)).events])
    assert len(catalog.hop_flows) <= 10
    assert len(catalog) == 5


def test_truncated_generation_drops_its_flows():
    catalog = catalog_module.Catalog()
    catalog.feed([(files.position(1, i), r) for i, r in
                  enumerate(sample.image_list().events)])
    catalog.feed([(files.position(2, i), r) for i, r in
                  enumerate(sample.image_create().events)])
    catalog.drop_generation(1)
    assert [f.root for f in catalog.flows.values()] == \
        ['openstack: POST /image/v2/images']


def test_waiters_learn_which_flows_changed():
    catalog = catalog_module.Catalog()
    version = catalog.version
    assert catalog.wait_for_change(version, 0.01) == (version, frozenset())
    log = sample.image_list()
    catalog.feed([(None, r) for r in log.events])
    new, keys = catalog.wait_for_change(version, 0.01)
    assert new > version and keys == frozenset(catalog.flows)
    # A waiter too far behind is told to reload everything.
    for _ in range(catalog_module.RECENT_CHANGES + 1):
        catalog.set_progress(0, 0, True)
        catalog.set_progress(0, 0, False)
    assert catalog.wait_for_change(version, 0.01)[1] is None


def test_find_takes_a_request_id_or_a_trace_id():
    catalog = catalog_module.Catalog()
    first, second = sample.image_list(), sample.image_create()
    catalog.feed([(None, r) for r in first.events + second.events])
    key = first.events[0]['trace']
    assert catalog.find(key.upper()) == key
    assert catalog.find(key[:8]) == key
    assert catalog.find(key[:3]) is None        # too short to be sure
    assert catalog.find('req-none') is None
    assert catalog.find('') is None
