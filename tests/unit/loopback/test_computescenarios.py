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

from requestshook.loopback import computescenarios
from requestshook.loopback import demo
from requestshook.loopback import scenarios


def test_create_boots_without_network_and_waits():
    steps = {name: argv for name, _, argv in
             computescenarios.steps('IMAGE', 'vm')}
    create = steps['server-create']
    assert create[-1] == 'vm'
    for words in (['--nic', 'none'], ['--image', 'IMAGE'],
                  ['--flavor', 'm1.tiny']):
        assert ' '.join(words) in ' '.join(create)
    assert '--wait' in create
    assert steps['server-delete'][:3] == ['server', 'delete', '--wait']


def test_after_create_the_server_is_named_by_its_id():
    for name, _, argv in computescenarios.steps('IMAGE', 'vm'):
        if name in ('server-show', 'server-stop', 'server-start',
                    'server-delete'):
            assert argv[-1] == computescenarios.SERVER_ID, name
            assert 'vm' not in argv, name


def test_the_server_is_stopped_before_it_is_started():
    names = computescenarios.NAMES
    assert names.index('server-create') < names.index('server-stop') < \
        names.index('server-start') < names.index('server-delete')


def _result(name):
    return scenarios.Result(name, 'openstack ' + name, name.split('-'),
                            'trace', 0, '', '')


def test_index_has_one_section_per_part_run(tmp_path):
    demo.write_index(str(tmp_path), {
        'image': [_result('image-list')],
        'compute': [_result('server-create')]})
    text = (tmp_path / 'index.md').read_text()
    assert '## The life of one image' in text
    assert '## The life of one server' in text
    assert text.index('image-list/index.md') < text.index(
        'server-create/index.md')


def test_index_of_one_part_has_no_other_section(tmp_path):
    demo.write_index(str(tmp_path), {'compute': [_result('flavor-list')]})
    text = (tmp_path / 'index.md').read_text()
    assert 'The life of one image' not in text
    assert '(flavor-list/index.md)' in text
