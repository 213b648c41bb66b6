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

"""A flow's diagram does not depend on how far apart the hosts' clocks are.

Each test shifts every event one host wrote by -30 s or +30 s (as a host
whose clock is off would write them) and expects the very same diagram.
"""

import pytest

from requestshook.reading import flow as flow_module
from requestshook.reading import sample
from requestshook.reading import sample_compute
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module

SKEWS = (-30.0, 30.0)


def _diagram(events):
    return mermaid.render(sequence_module.Sequence(
        flow_module.Flow('t', events)))


def _hosts(events):
    return sorted({record['host'] for record in events})


@pytest.mark.parametrize('seconds', SKEWS)
def test_image_create_diagram_is_the_same_whatever_one_host_clock(seconds):
    events = sample.image_create().events
    expected = _diagram(events)
    assert _hosts(events) == ['ctl1', 'laptop']
    for host in _hosts(events):
        shifted = sample.shift_clock(events, host, seconds)
        assert shifted != events
        assert _diagram(shifted) == expected, host


@pytest.mark.parametrize('seconds', SKEWS)
def test_server_create_across_three_hosts(seconds):
    events = sample_compute.server_create().events
    expected = _diagram(events)
    assert _hosts(events) == ['cmp1', 'ctl1', 'laptop']
    for host in _hosts(events):
        assert _diagram(sample.shift_clock(events, host, seconds)) == \
            expected, host


@pytest.mark.parametrize('seconds', SKEWS)
def test_callee_events_never_come_before_the_call_that_caused_them(
        seconds):
    events = sample.shift_clock(sample_compute.server_create().events,
                                'cmp1', seconds)
    sequence = sequence_module.Sequence(flow_module.Flow('t', events))
    seen = set()
    for message in sequence.messages:
        parent = message.hop.parent_hop
        assert parent is None or parent.id in seen, message.label
        seen.add(message.hop.id)
