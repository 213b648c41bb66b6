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

from requestshook import event
from requestshook.reading import flow as flow_module
from requestshook.reading import sample
from requestshook.render import markdown
from requestshook.render import sequence as sequence_module


def _page(log):
    return markdown.render(sequence_module.Sequence(
        flow_module.Flow('t', log.events)))


def _section(page, title):
    start = page.index(title + '\n')
    end = page.find('\n### ', start + 1)
    return page[start:end if end > 0 else len(page)]


def test_sections_numbered_as_the_diagram():
    page = _page(sample.image_create())
    titles = re.findall(r'^### .*$', page, re.M)
    assert len(titles) == 22
    assert titles[0] == '### (1) GET /identity'
    assert titles[1] == '### (2) 300 Multiple Choices /identity'
    assert titles[12] == '### (13) PUT /image/v2/images/{image_id}/file'
    assert titles[-1] == '### (22) 204 No Content ' \
        '/image/v2/images/{image_id}/file'


def test_request_section_has_header_and_body_tabs_like_the_seed():
    page = _page(sample.image_create())
    section = _section(page, '### (5) POST /image/v2/images')
    lines = section.splitlines()
    assert lines[2] == '`openstack-client` -> `glance-api`'
    assert lines[4] == '=== "Header"'
    assert lines[5] == ('    ``` http title="POST '
                        'http://10.0.0.11/image/v2/images"')
    assert '    X-Auth-Token: %s' % sample.TOKEN in lines
    body_tab = lines.index('=== "Body"')
    assert lines[body_tab + 1] == '    ``` json title=""'
    fence_end = lines.index('    ```', body_tab + 1)
    body = '\n'.join(line[4:] for line in lines[body_tab + 2:fence_end])
    assert json.loads(body)['name'] == 'cirros-0.6.1-x86_64-disk'
    assert body.startswith('{\n  "name"')


def test_binary_body_shows_size_and_hex_head():
    page = _page(sample.image_create())
    section = _section(page, '### (13) PUT /image/v2/images/{image_id}/file')
    assert '    <octet-stream> 0x514649fb' in section
    assert '... (21233664 bytes)' in section


def test_response_section_has_timing_and_empty_body():
    page = _page(sample.image_create())
    section = _section(page, '### (22) 204 No Content '
                       '/image/v2/images/{image_id}/file')
    assert '`glance-api` -> `openstack-client`' in section
    assert re.search(r'Took [\d.]+ ms for openstack, [\d.]+ ms in '
                     r'glance-api\.', section)
    assert '    ``` http title="204 No Content http://10.0.0.11/image/v2/' \
        'images/%s/file"' % sample.IMAGE_ID in section
    assert '    ``` text title=""\n    none\n    ```' in section


def test_failed_and_unanswered_steps():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET', 'http://h/a',
                  answered=False):
        pass
    with log.call('openstack', 'glance-api', 'GET', 'http://h/b',
                  error='ConnectionError', sides=(event.CLIENT,)):
        pass
    page = _page(log)
    assert '!!! warning "No response"\n    No response was recorded for ' \
        'step (1) GET /a' in page
    assert '### (3) error: ConnectionError /b' in page
    assert '!!! failure "error: ConnectionError"' in page
