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

"""RPC hops in every rendering: diagram, step pages, log, HTML, HAR."""

import json
import re

import pytest

from requestshook import event
from requestshook.reading import flow as flow_module
from requestshook.reading import sample
from requestshook.reading import sample_compute
from requestshook.render import doc
from requestshook.render import har
from requestshook.render import html
from requestshook.render import markdown
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module
from requestshook.render import text


def _sequence(log):
    return sequence_module.Sequence(flow_module.Flow('t', log.events))


@pytest.fixture(scope='module')
def boot():
    return _sequence(sample_compute.server_create())


def _outline(sequence):
    out = []
    for item in sequence.items:
        if isinstance(item, sequence_module.Block):
            out.append(item.kind + (' ' + item.label if item.label else ''))
        else:
            out.append('%s %s' % (item.number, item.label))
    return out


def test_cast_work_is_drawn_after_the_202_inside_a_block(boot):
    outline = _outline(boot)
    start = outline.index('10 cast build_instances')
    assert outline[start:start + 4] == [
        '10 cast build_instances', '11 202 Accepted',
        'opt after the 202 answer: nova-conductor build_instances',
        '12 call select_destinations']
    assert outline[start + 4:start + 15] == [
        '13 GET /placement/allocation_candidates'
        '?resources=DISK_GB%3A1%2CMEMORY_MB%3A512',
        '14 200 OK',
        '15 PUT /placement/allocations/' + sample_compute.SERVER_ID,
        '16 204 No Content', '17 select_destinations returned',
        '18 cast build_and_run_instance',
        'opt after the cast: nova-compute build_and_run_instance',
        '19 GET /placement/allocations/' + sample_compute.SERVER_ID,
        '20 200 OK',
        '21 GET /image/v2/images/' + sample.IMAGE_ID, '22 200 OK']
    assert outline[start + 16:start + 19] == ['24 200 OK', 'end', 'end']
    # The client's polling comes after the work its POST caused.
    assert outline[start + 19].startswith('25 GET /compute/v2.1/servers/')
    assert boot.cast_blocks == {
        boot.flow.roots[2].children[2].id: 'the 202 answer',
        boot.flow.roots[2].children[2].children[1].id: None}


def test_diagram_draws_casts_as_async_arrows_and_calls_as_pairs(boot):
    lines = [line.strip() for line in mermaid.render(boot).splitlines()]
    assert 'participant nova_conductor as nova-conductor' in lines
    assert 'participant nova_scheduler as nova-scheduler' in lines
    assert 'participant nova_compute as nova-compute' in lines
    assert 'nova_api-)nova_conductor: cast build_instances' in lines
    assert 'nova_conductor-)nova_compute: cast build_and_run_instance' \
        in lines
    assert 'nova_conductor->>nova_scheduler: call select_destinations' \
        in lines
    assert 'nova_scheduler-->>nova_conductor: select_destinations ' \
        'returned' in lines
    cast = lines.index('nova_api-)nova_conductor: cast build_instances')
    assert lines[cast + 1:cast + 3] == [
        'nova_api-->>openstack: 202 Accepted',
        'opt after the 202 answer: nova-conductor build_instances']
    assert 'nova_scheduler->>placement_api: PUT ' \
        '/placement/allocations/{server_id}' in lines
    assert not [line for line in lines if 'no response' in line]
    assert lines.count('end') == 2


def _failures():
    log = sample.LogMaker()
    with log.call('openstack', 'nova-api', 'POST', 'http://h/servers',
                  status=202) as create:
        build = sample_compute.cast(log, 'nova-api', 'nova-conductor',
                                    'conductor', 'build_instances',
                                    parent=create)
        sample_compute.cast(log, 'nova-api', 'nova-compute', 'compute',
                            'refresh', parent=create, fanout=True,
                            sides=(event.CLIENT,))
    with sample_compute.dispatch(log, build, error='NoValidHost: none'):
        with sample_compute.call(log, 'nova-conductor', 'nova-scheduler',
                                 'scheduler', 'select_destinations',
                                 parent=build,
                                 error='MessagingTimeout: timed out'):
            pass
    return log


def test_failed_cast_and_call():
    sequence = _sequence(_failures())
    assert _outline(sequence) == [
        '1 POST /servers', '2 cast build_instances',
        '3 fanout cast refresh', '4 202 Accepted',
        'opt after the 202 answer: nova-conductor build_instances',
        '5 call select_destinations',
        '6 error: MessagingTimeout: timed out',
        'None build_instances failed: NoValidHost: none', 'end']
    lines = [line.strip() for line in
             mermaid.render(sequence).splitlines()]
    assert 'nova_scheduler--xnova_conductor: error: MessagingTimeout: ' \
        'timed out' in lines
    assert 'Note over nova_conductor: build_instances failed: ' \
        'NoValidHost: none' in lines
    assert 'nova_api-)nova_compute: fanout cast refresh' in lines


def test_a_root_cast_draws_its_work_right_after_it():
    log = sample.LogMaker()
    heal = sample_compute.cast(log, 'nova-compute', 'nova-conductor',
                               'conductor', 'object_action')
    with sample_compute.dispatch(log, heal):
        with log.call('nova-conductor', 'placement-api', 'GET',
                      'http://h/placement/usages', parent=heal):
            pass
    assert _outline(_sequence(log)) == [
        '1 cast object_action',
        'opt after the cast: nova-conductor object_action',
        '2 GET /placement/usages', '3 200 OK', 'end']


def test_a_cast_nobody_handled_draws_no_block():
    log = sample.LogMaker()
    with log.call('openstack', 'nova-api', 'POST', 'http://h/servers',
                  status=202) as create:
        sample_compute.cast(log, 'nova-api', 'nova-conductor', 'conductor',
                            'build_instances', parent=create,
                            sides=(event.CLIENT,))
    assert _outline(_sequence(log)) == [
        '1 POST /servers', '2 cast build_instances', '3 202 Accepted']


def _section(page, title):
    start = page.index(title + '\n')
    end = page.find('\n### ', start + 1)
    return page[start:end if end > 0 else len(page)]


def test_step_page_shows_arguments_and_results(boot):
    page = markdown.render(boot)
    cast = _section(page, '### (10) cast build_instances')
    assert '`nova-api` -> `nova-conductor`' in cast
    assert re.search(r'A cast: `nova-api` goes on without waiting for an '
                     r'answer\. The work it caused in `nova-conductor`, '
                     r'steps \(12\) to \(24\), continues after the 202 '
                     r'answer\. `nova-conductor` handled it in [\d.]+ ms\.',
                     cast)
    assert '``` text title="CAST rpc://nova/conductor/build_instances"' \
        in cast
    assert '    X-Openstack-Request-Id: %s' % sample_compute.REQUEST_ID \
        in cast
    assert '"admin_password": "***"' in cast
    returned = _section(page, '### (17) select_destinations returned')
    assert '`nova-scheduler` -> `nova-conductor`' in returned
    assert re.search(r'Took [\d.]+ ms for nova-conductor, [\d.]+ ms in '
                     r'nova-scheduler\.', returned)
    assert '"host": "cmp1"' in returned
    assert '=== "Header"' not in returned


def test_step_page_of_failures():
    page = markdown.render(_sequence(_failures()))
    assert '### (6) error: MessagingTimeout: timed out ' \
        'select_destinations' in page
    assert '!!! failure "nova-conductor failed to handle step (2) cast ' \
        'build_instances"\n    error: NoValidHost: none\n' in page
    fanout = _section(page, '### (3) fanout cast refresh')
    assert 'No receiver recorded handling it' in fanout


def test_text_log(boot):
    log = text.render(boot)
    lines = [line for line in log.splitlines()
             if line.startswith(('__', '---'))]
    start = lines.index('__nova-api__ -> Cast [6] build_instances '
                        'rpc://nova/conductor/build_instances')
    assert lines[start + 1].startswith('__openstack__ <- Response [3] 202 ')
    assert lines[start + 2] == ('--- after the 202 answer: nova-conductor '
                                'build_instances ---')
    assert lines[start + 3] == ('__nova-conductor__ -> Call [7] '
                                'select_destinations '
                                'rpc://nova/scheduler/select_destinations')
    assert re.match(r'__nova-conductor__ <- Return \[7\] select_destinations'
                    r' rpc://nova/scheduler/select_destinations '
                    r'\([\d.]+ ms\)$', lines[start + 8])
    failures = text.render(_sequence(_failures()))
    assert re.search(r'^__nova-conductor__ !! Failed \[2\] build_instances '
                     r'rpc://nova/conductor/build_instances: NoValidHost: '
                     r'none \([\d.]+ ms\)$', failures, re.M)


def test_html_steps(boot):
    people = mermaid.Participants(boot.participants)
    steps = html.steps(boot, people, mermaid.placeholders_for(boot))
    assert len(steps) == len(boot.arrows)
    cast = steps[9]
    assert cast['title'] == 'cast build_instances'
    assert cast['response'] is None
    assert cast['note'].startswith('A cast: nova-api goes on without '
                                   'waiting')
    assert json.loads(cast['request']['body'])['image'] == {
        'id': sample.IMAGE_ID}
    returned = steps[16]
    assert returned['title'] == 'select_destinations returned'
    assert json.loads(returned['response']['body']) == [
        [{'host': 'cmp1', 'nodename': 'cmp1'}]]


def test_har_leaves_rpc_hops_out_and_says_so(boot):
    document = har.build(boot)
    entries = document['log']['entries']
    assert len(entries) == len(boot.hops) - 3
    assert not [e for e in entries if e['request']['url'].startswith('rpc')]
    assert '3 RPC hops left out' in document['log']['comment']
    steps = [e['_step'] for e in entries]
    assert steps == sorted(steps) and 10 not in steps


def test_doc_step_list(boot):
    people = mermaid.Participants(boot.participants)
    listing = doc.step_list(boot, people, mermaid.placeholders_for(boot))
    assert re.search(r'^6\. \(10\) `nova-api` -> `nova-conductor`: '
                     r'`cast build_instances` -> done in [\d.]+ ms$',
                     listing, re.M)
    assert re.search(r'^7\. \(12-17\) `nova-conductor` -> `nova-scheduler`: '
                     r'`call select_destinations` -> returned in [\d.]+ '
                     r'ms$', listing, re.M)


def test_a_cast_that_could_not_be_sent_fails_at_its_sender():
    log = sample.LogMaker()
    with log.call('openstack', 'nova-api', 'POST', 'http://h/servers',
                  status=500) as create:
        message = sample_compute.cast(log, 'nova-api', 'nova-conductor',
                                      'conductor', 'build_instances',
                                      parent=create, sides=(event.CLIENT,))
        sample_compute.send_failed(log, message,
                                   'MessageDeliveryFailure: no broker')
    sequence = _sequence(log)
    assert _outline(sequence) == [
        '1 POST /servers', '2 cast build_instances',
        'None build_instances could not be sent: MessageDeliveryFailure: '
        'no broker', '3 500 Internal Server Error']
    note = sequence.items[2]
    assert (note.source, note.target) == ('nova-api', 'nova-api')
    assert 'Note over nova_api: build_instances could not be sent' in \
        mermaid.render(sequence)
    page = markdown.render(sequence)
    assert '!!! failure "nova-api could not send step (2) cast ' \
        'build_instances"\n    error: MessageDeliveryFailure: no broker' \
        in page
    assert re.search(r'^__nova-api__ !! Not sent \[2\] build_instances '
                     r'rpc://nova/conductor/build_instances: '
                     r'MessageDeliveryFailure: no broker \([\d.]+ ms\)$',
                     text.render(sequence), re.M)


def test_tail_lines_of_rpc_events():
    log = sample_compute.server_create()
    lines = [text.event_line(r) for r in log.events
             if r.get('proto') == 'rpc' and r['event'] != 'request']
    assert len(lines) == 4
    assert re.match(r'^\d\d:\d\d:\d\d\.\d{3} nova-conductor -> '
                    r'nova-scheduler call select_destinations returned '
                    r'[\d.]+ ms trace [0-9a-f]{8}$', lines[0])
    assert re.match(r'^\d\d:\d\d:\d\d\.\d{3} nova-api -> nova-conductor '
                    r'cast build_instances done [\d.]+ ms trace', lines[2])
