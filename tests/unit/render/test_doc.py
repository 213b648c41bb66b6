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
import os

from requestshook.reading import flow as flow_module
from requestshook.reading import sample
from requestshook.render import doc
from requestshook.render import sequence as sequence_module


def test_writes_the_seed_pages_files(tmp_path):
    sequence = sequence_module.Sequence(
        flow_module.Flow('abc', sample.image_create().events))
    command = 'openstack image create --file cirros.img cirros'
    paths = doc.write(sequence, str(tmp_path / 'create'), command=command)
    assert [os.path.basename(p) for p in paths] == list(doc.FILES)
    read = {os.path.basename(p): open(p, encoding='utf-8').read()
            for p in paths}
    index = read['index.md']
    assert index.startswith('# %s\n' % command)
    assert '``` bash\n$ %s\n```' % command in index
    assert '``` mermaid\nsequenceDiagram\n    autonumber\n' in index
    assert '| `image_id` | %s |' % sample.IMAGE_ID in index
    assert '1. (1-2) `openstack-client` -> `keystone`: `GET /identity` -> ' \
        '300 Multiple Choices' in index
    assert '\n3. (5-12) `openstack-client` -> `glance-api`: ' \
        '`POST /image/v2/images` -> 201 Created' in index
    assert read['body.md'] in index
    assert '### (22) 204 No Content' in index
    assert '??? quote "requestshook.log"\n    ``` text title=""\n' \
        '    __openstack__ -> Request [1] GET' in index
    diagram = read['diagram.md']
    assert diagram.startswith('participant openstack as openstack-client\n')
    assert diagram.count('->>') == 22
    assert read['log.md'].startswith('__openstack__ -> Request [1]')
    assert json.loads(read['flow.har'])['log']['entries']
    assert read['flow.html'].startswith('<!DOCTYPE html>')


def test_title_defaults_to_the_root_call(tmp_path):
    sequence = sequence_module.Sequence(
        flow_module.Flow('abc', sample.image_list().events))
    paths = doc.write(sequence, str(tmp_path))
    with open(paths[0]) as stream:
        assert stream.readline() == '# openstack: GET /image/v2/images\n'
