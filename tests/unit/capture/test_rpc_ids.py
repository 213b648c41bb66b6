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


"""Ids and values carried in RPC messages must match whole.

``$`` also matches before a final newline: ``abc\\n`` would pass, and an
id sent on in an HTTP header then makes python-requests refuse the call.
"""

import pytest

from requestshook.capture import rpc


@pytest.mark.parametrize('value', ['a' * 32 + '\n', 'abc\n'])
def test_an_id_ending_in_a_newline_is_refused(value):
    assert rpc._valid_id(value) is None
    assert rpc._valid_id(value.strip()) == value.strip()


def test_a_context_value_ending_in_a_newline_is_left_out():
    assert rpc.context_headers({'request_id': 'req-1\n'}) == []
    assert rpc.context_headers({'request_id': 'req-1'}) != []
