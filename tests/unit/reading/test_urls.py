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

"""A URL whose Host header urllib refuses stops no reader."""

import pytest

from requestshook.cmd import main
from requestshook.reading import sample
from requestshook.reading import urls

HOSTILE_HOSTS = ['[::1', '[abc]', '[::1]]', 'a]b[']


@pytest.mark.parametrize('host', HOSTILE_HOSTS)
def test_split_keeps_the_path_and_query(host):
    parts = urls.split('http://%s/v2/images?limit=1' % host)
    assert (parts.scheme, parts.path, parts.query) == \
        ('http', '/v2/images', 'limit=1')


@pytest.mark.parametrize('command', [
    ['flows'], ['flows', '--json'], ['diagram', '2'], ['markdown', '2'],
    ['log'], ['har', '2'], ['html', '2'], ['tail', '-n', '50'],
])
def test_readers_read_a_log_holding_such_urls(tmp_path, capsys, command):
    log = sample.image_create()
    for host in HOSTILE_HOSTS:
        with log.call('openstack', 'glance-api', 'GET',
                      'http://%s/v2/images' % host):
            pass
    path = log.write(str(tmp_path / 'rh.log'))
    if command[0] in ('html',):
        command = command + ['-o', str(tmp_path / 'out')]
    assert main.main(command + ['--log', path]) == 0
    out = capsys.readouterr().out
    if command[0] in ('flows', 'log', 'tail'):
        assert '/v2/images' in out
