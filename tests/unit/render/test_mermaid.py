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
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module


def _sequence(log, **kwargs):
    return sequence_module.Sequence(flow_module.Flow('t', log.events),
                                    **kwargs)


def test_image_create_diagram_is_the_seeds():
    diagram = mermaid.render(_sequence(sample.image_create()))
    lines = diagram.splitlines()
    assert lines[:6] == [
        'sequenceDiagram',
        '    autonumber',
        '    participant openstack as openstack-client',
        '    participant keystone',
        '    participant glance_api as glance-api',
        '    participant swift_proxy_server as swift-proxy-server']
    assert lines[6:10] == [
        '    openstack->>keystone: GET /identity',
        '    keystone-->>openstack: 300 Multiple Choices',
        '    openstack->>keystone: POST /identity/v3/auth/tokens',
        '    keystone-->>openstack: 201 Created']
    assert '    opt glance-api token' in lines
    assert '        glance_api->>keystone: POST /identity/v3/auth/tokens' \
        in lines
    assert '    glance_api->>swift_proxy_server: PUT ' \
        '/v1/{account}/glance/{image_id}' in lines
    assert '    openstack->>glance_api: PUT /image/v2/images/{image_id}/file' \
        in lines
    assert lines[-1] == '    glance_api-->>openstack: 204 No Content'
    arrows = [line for line in lines if '>>' in line]
    assert len(arrows) == 22
    assert lines.count('    end') == 2


def test_no_placeholders_and_aliases():
    sequence = _sequence(sample.image_create())
    diagram = mermaid.render(
        sequence, aliases={'openstack': 'openstack', 'glance-api': 'glance'},
        placeholders=mermaid.placeholders_for(sequence, enabled=False))
    assert sample.IMAGE_ID in diagram and '{image_id}' not in diagram
    assert '    participant openstack\n' in diagram
    assert '    participant glance_api as glance\n' in diagram


def test_failed_and_unanswered_are_drawn_as_such():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET', 'http://h/a',
                  answered=False) as hop:
        with log.call('glance-api', 'swift-proxy-server', 'GET',
                      'http://h/v1/x', parent=hop, error='ConnectTimeout'):
            pass
    lines = mermaid.render(_sequence(log)).splitlines()
    assert lines[-2] == ('    swift_proxy_server--xglance_api: '
                         'error: ConnectTimeout')
    assert lines[-1] == ('    Note over openstack,glance_api: '
                         'no response to GET /a')


def test_text_is_made_safe_for_mermaid():
    assert mermaid.text('a;b#c') == 'a#59;b#35;c'
    assert mermaid.text('the end') == 'the #101;nd'
    assert mermaid.text('End of it') == '#69;nd of it'
    assert mermaid.text('endpoints') == 'endpoints'
    assert mermaid.text('say "hi" <b>') == 'say #quot;hi#quot; #lt;b#gt;'
    assert mermaid.text('two\nlines') == 'two lines'
    assert mermaid.text('x' * 200).endswith('...')
    assert len(mermaid.text('x' * 200)) == 160


def test_unsafe_paths_and_names_in_a_diagram():
    log = sample.LogMaker()
    with log.call('end', 'opt', 'GET',
                  'http://h/v1/a;b/c?x="the end"&y=#frag'):
        pass
    diagram = mermaid.render(_sequence(log))
    assert '    participant end_ as #101;nd\n' in diagram
    assert '    participant opt_ as opt\n' in diagram
    assert ('    end_->>opt_: GET /v1/a#59;b/c?x=#quot;the #101;nd#quot;&y=\n'
            in diagram)


def test_no_directive_can_be_slipped_into_a_diagram():
    # Mermaid reads '%%{init: ...}%%' anywhere in the text as its
    # configuration: a hostile path or service name could restyle the
    # diagram or hide arrows.
    directive = "%%{init: {'theme':'forest'}}%%"
    assert '%%' not in mermaid.text(directive)
    assert '%%' not in mermaid.text('%%%' + directive)
    assert mermaid.text('100% of 5%') == '100% of 5%'
    log = sample.LogMaker()
    with log.call(directive, 'glance' + directive, 'GET',
                  'http://h/v2/' + directive + '?q=' + directive):
        pass
    diagram = mermaid.render(_sequence(log), aliases={
        'glance' + directive: 'glance' + directive})
    assert '%%' not in diagram


def test_participant_ids_are_unique_and_safe():
    people = mermaid.Participants(['glance-api', 'glance_api', '9x'])
    assert list(people.ids.values()) == ['glance_api', 'glance_api_2',
                                         'p_9x']


def test_body_lines_have_no_header():
    lines = mermaid.body_lines(_sequence(sample.image_list()))
    assert lines[0] == 'participant openstack as openstack-client'
    assert 'sequenceDiagram' not in lines and 'autonumber' not in lines
