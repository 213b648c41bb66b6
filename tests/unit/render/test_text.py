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

import re

from requestshook import event
from requestshook.reading import flow as flow_module
from requestshook.reading import sample
from requestshook.render import sequence as sequence_module
from requestshook.render import text


def _log(log):
    return text.render(sequence_module.Sequence(
        flow_module.Flow('t', log.events)))


def test_blocks_in_the_seeds_format_and_order():
    out = _log(sample.image_list())
    firsts = re.findall(r'^__.*$', out, re.M)
    assert firsts[0] == '__openstack__ -> Request [1] GET ' \
        'http://10.0.0.11/identity'
    assert re.match(r'__openstack__ <- Response \[1\] 300 Multiple Choices '
                    r'http://10.0.0.11/identity \([\d.]+ ms\)$', firsts[1])
    assert [line.split(' [')[0] + ' [' + line.split('[')[1][0] + ']'
            for line in firsts] == [
        '__openstack__ -> Request [1]', '__openstack__ <- Response [1]',
        '__openstack__ -> Request [2]', '__openstack__ <- Response [2]',
        '__openstack__ -> Request [3]', '__glance-api__ -> Request [4]',
        '__glance-api__ <- Response [4]', '__openstack__ <- Response [3]']


def test_request_block_has_headers_blank_line_and_body():
    out = _log(sample.image_list())
    block = out.split('__openstack__ -> Request [2]')[1].split('\n\n__')[0]
    lines = block.splitlines()
    assert lines[1] == 'Host: 10.0.0.11'
    blank = lines.index('')
    assert lines[blank + 1] == '{'
    assert '"password": "***"' in block


def test_empty_body_is_none_and_missing_response_is_said():
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET', 'http://h/a',
                  answered=False):
        pass
    with log.call('openstack', 'glance-api', 'GET', 'http://h/b',
                  error='boom', sides=(event.SERVER,)):
        pass
    out = _log(log)
    assert '\n\nnone\n' in out
    assert '__openstack__ <- No response [1] GET http://h/a\n' in out
    assert re.search(r'__openstack__ <- Error \[2\] error: boom http://h/b '
                     r'\([\d.]+ ms\)', out)


def test_event_line():
    log = sample.image_list()
    final = log.events[-1]
    line = text.event_line(final)
    assert re.match(r'^22:13:20\.\d{3} openstack -> glance-api GET '
                    r'/image/v2/images 200 OK [\d.]+ ms trace %s$'
                    % final['trace'][:8], line)
    failed = dict(final, event='error', error='boom')
    assert ' error: boom ' in text.event_line(failed)
