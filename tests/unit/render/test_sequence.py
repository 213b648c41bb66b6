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

from requestshook.reading import flow as flow_module
from requestshook.reading import sample
from requestshook.render import sequence as sequence_module


def _sequence(log, **kwargs):
    return sequence_module.Sequence(flow_module.Flow('t', log.events),
                                    **kwargs)


def _outline(sequence):
    out = []
    for item in sequence.items:
        if isinstance(item, sequence_module.Block):
            out.append(item.kind + (' ' + item.label if item.label else ''))
        else:
            out.append('%s %s' % (item.number, item.kind))
    return out


def test_image_create_has_the_seeds_22_steps_and_two_opt_blocks():
    sequence = _sequence(sample.image_create())
    assert len(sequence.arrows) == 22
    assert [m.number for m in sequence.arrows] == list(range(1, 23))
    outline = _outline(sequence)
    # The seed's optional steps (6-9): glance-api's own token.
    assert outline[4:11] == ['5 request', 'opt glance-api token',
                             '6 request', '7 response', '8 request',
                             '9 response', 'end']
    assert outline.count('opt glance-api token') == 2
    assert sequence.participants == ['openstack', 'keystone', 'glance-api',
                                     'swift-proxy-server']


def test_no_opt():
    sequence = _sequence(sample.image_create(), fold_tokens=False)
    assert not [i for i in sequence.items
                if isinstance(i, sequence_module.Block)]
    assert len(sequence.arrows) == 22


def test_clients_own_token_fetch_is_not_optional():
    sequence = _sequence(sample.image_list())
    assert not [i for i in sequence.items
                if isinstance(i, sequence_module.Block)]


def test_validation_is_not_folded():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET', 'http://h/v2/images',
                  ) as hop:
        sample.validate(log, 'glance-api', hop)
    assert not [i for i in _sequence(log).items
                if isinstance(i, sequence_module.Block)]


def test_failed_and_unanswered_calls():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET', 'http://h/a',
                  answered=False) as hop:
        with log.call('glance-api', 'swift-proxy-server', 'GET',
                      'http://h/v1/x', parent=hop, error='ConnectTimeout'):
            pass
    sequence = _sequence(log)
    assert _outline(sequence) == ['1 request', '2 request', '3 failure',
                                  'None missing']
    missing = sequence.messages[-1]
    assert (missing.source, missing.target) == ('openstack', 'glance-api')
    assert sequence.messages[2].label == 'error: ConnectTimeout'
    assert sequence.request_number(missing.hop) == 1


def test_call_made_after_the_response_comes_after_it():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'POST',
                  'http://h/v2/images/x/import', status=202) as hop:
        pass
    with log.call('glance-api', 'swift-proxy-server', 'PUT',
                  'http://h/v1/AUTH_a/glance/x', parent=hop):
        pass
    outline = [(m.kind, m.hop.path) for m in _sequence(log).messages]
    assert outline == [
        ('request', '/v2/images/x/import'),
        ('response', '/v2/images/x/import'),
        ('request', '/v1/AUTH_a/glance/x'),
        ('response', '/v1/AUTH_a/glance/x')]


def test_hop_numbers_follow_request_order():
    sequence = _sequence(sample.image_create())
    requests = [m for m in sequence.messages if m.kind == 'request']
    assert [m.hop_number for m in requests] == list(range(1, 12))
    responses = {m.hop.id: m.hop_number for m in sequence.messages
                 if m.kind == 'response'}
    assert all(responses[m.hop.id] == m.hop_number for m in requests)


def test_token_fetch_as_the_last_call_closes_its_block():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET', 'http://h/v2/images',
                  ) as hop:
        sample.client_token(log, caller='glance-api', parent=hop)
    assert _outline(_sequence(log)) == [
        '1 request', 'opt glance-api token', '2 request', '3 response',
        '4 request', '5 response', 'end', '6 response']
