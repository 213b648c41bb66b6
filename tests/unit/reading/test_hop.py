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
from requestshook.reading import hop as hop_module
from requestshook.reading import sample


def _hop(events):
    hops = {}
    for record in events:
        hops.setdefault(record['id'], hop_module.Hop(record['id'])).add(
            record)
    assert len(hops) == 1
    return list(hops.values())[0]


def _one_call(**kwargs):
    log = sample.LogMaker()
    with log.call('glance-api', 'swift-proxy-server', 'PUT',
                  'http://10.0.0.11:8080/v1/AUTH_x/glance/obj', **kwargs):
        pass
    return log


def test_both_sides_merge_with_the_servers_view_of_the_request():
    log = _one_call(status=201)
    client_request = log.events[0]
    client_request['url'] = 'http://swift.example/v1/AUTH_x/glance/obj'
    hop = _hop(log.events)
    assert hop.sides == ('client', 'server')
    assert hop.url == 'http://10.0.0.11:8080/v1/AUTH_x/glance/obj'
    assert hop.client_url == 'http://swift.example/v1/AUTH_x/glance/obj'
    assert hop.path == '/v1/AUTH_x/glance/obj'
    assert hop.caller == 'glance-api'
    assert hop.callee == 'swift-proxy-server'
    assert hop.status == 201 and hop.reason == 'Created'
    names = [h[0] for h in hop.request_headers]
    assert event.HEADER_TRACE_ID in names          # as the server got them
    server_final = log.events[2]
    client_final = log.events[3]
    assert hop.server_duration_ms == server_final['duration_ms']
    assert hop.client_duration_ms == client_final['duration_ms']
    assert hop.client_duration_ms > hop.server_duration_ms
    assert hop.duration_ms == hop.client_duration_ms
    assert hop.caller_host == 'ctl1' and hop.callee_host == 'ctl1'


def test_query_string_is_part_of_the_path():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET',
                  'http://h/v2/images?limit=2&marker=x'):
        pass
    assert _hop(log.events).path == '/v2/images?limit=2&marker=x'


def test_request_body_from_the_response_event_when_streamed():
    body = sample.image_body(size=1000)
    log = _one_call(request_body=body, streamed_request=True,
                    request_type='application/octet-stream')
    assert log.events[0]['body'] is None
    assert _hop(log.events).request_body == body


def test_client_only_hop():
    log = _one_call(sides=(event.CLIENT,))
    hop = _hop(log.events)
    assert hop.sides == ('client',)
    assert hop.answered and hop.status == 200
    assert hop.server_duration_ms is None
    assert hop.callee == 'swift-proxy-server'


def test_server_only_hop():
    log = _one_call(sides=(event.SERVER,))
    hop = _hop(log.events)
    assert hop.sides == ('server',)
    assert hop.caller == 'glance-api'
    assert hop.client_duration_ms is None and hop.duration_ms > 0


def test_unanswered_hop():
    hop = _hop(_one_call(answered=False).events)
    assert not hop.answered and hop.is_error
    assert hop.status is None and hop.end is None
    assert hop.start is not None


def test_failed_hop():
    hop = _hop(_one_call(error='ConnectionError: refused').events)
    assert hop.failed and hop.is_error
    assert hop.error == 'ConnectionError: refused'


def test_callers_outcome_wins_over_the_servers():
    log = _one_call()
    client_final = log.events[3]
    client_final.update(event.error_event(
        event.CLIENT, client_final['id'], client_final['trace'], None,
        'glance-api', 'swift-proxy-server', 'PUT', client_final['url'],
        'ReadTimeout', 30000.0))
    hop = _hop(log.events)
    assert hop.failed and hop.error == 'ReadTimeout'


def test_reason_from_the_status_when_missing():
    log = _one_call(status=404)
    for record in log.events:
        record.pop('reason', None)
    assert _hop(log.events).reason == 'Not Found'


def test_callee_from_the_url_when_unnamed():
    log = _one_call(sides=(event.CLIENT,))
    for record in log.events:
        record['to'] = None
    assert _hop(log.events).callee == '10.0.0.11:8080'
