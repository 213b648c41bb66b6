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

import json
import re

from requestshook.reading import flow as flow_module
from requestshook.reading import sample
from requestshook.render import html
from requestshook.render import sequence as sequence_module


def _sequence(log):
    return sequence_module.Sequence(flow_module.Flow('t', log.events))


def _data(page):
    match = re.search(r'<script type="application/json" id="flow-data">'
                      r'(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_page_is_self_contained():
    page = html.render(_sequence(sample.image_create()))
    markup = re.sub(r'(<script[^>]*>).*?</script>', r'\1', page,
                    flags=re.S)
    assert markup.count('<script') == 3
    assert not re.search(r'\b(src|href)=', markup)
    assert page.count('</script>') == 3
    with open(html.MERMAID_JS, encoding='utf-8') as stream:
        assert len(page) > len(stream.read())


def test_data_holds_the_diagram_and_one_step_per_arrow():
    sequence = _sequence(sample.image_create())
    data = _data(html.render(sequence))
    assert data['diagram'].startswith('sequenceDiagram\n    autonumber\n')
    assert len(data['steps']) == len(sequence.arrows) == 22
    step = data['steps'][4]
    assert step['number'] == 5
    assert step['title'] == 'POST /image/v2/images'
    assert step['who'] == 'openstack-client -> glance-api'
    assert step['request']['title'] == \
        'POST http://10.0.0.11/image/v2/images'
    assert '"name": "cirros-0.6.1-x86_64-disk"' in step['request']['body']
    assert step['response']['title'].startswith('201 Created ')
    assert data['steps'][5]['title'] == 'GET /identity'


def test_script_breaking_text_stays_inside_the_data():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'POST', 'http://h/v2/x',
                  request_body='</script><script>alert(1)</script><!--',
                  request_type='text/plain'):
        pass
    page = html.render(_sequence(log), title='<b>t</b>')
    assert page.count('</script>') == 3
    assert '<title>&lt;b&gt;t&lt;/b&gt;</title>' in page
    assert _data(page)['steps'][0]['request']['body'] == \
        '</script><script>alert(1)</script><!--'


def test_mermaid_script_cannot_end_its_element():
    script = html.mermaid_script()
    assert '</script' not in script.lower()
    assert '<!--' not in script and '<script' not in script.lower()


def test_variables_table():
    page = html.render(_sequence(sample.image_create()))
    assert '<tr><td><code>image_id</code></td><td>%s</td></tr>' % \
        sample.IMAGE_ID in page
