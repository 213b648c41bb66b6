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


import pytest

from requestshook.capture import trust

IDS = ('a' * 32, 'openstack', 'b' * 32, 'c' * 32)


def test_signature_verifies_with_any_of_the_keys():
    signature = trust.sign('key-2', *IDS)
    assert trust.verify(['key-1', 'key-2'], signature, *IDS)
    assert trust.verify(['key-2'], ' %s ' % signature.upper(), *IDS)


@pytest.mark.parametrize('keys, signature, ids', [
    (['key-1'], trust.sign('key-2', *IDS), IDS),
    (['key-2'], trust.sign('key-2', *IDS), ('x' * 32,) + IDS[1:]),
    (['key-2'], trust.sign('key-2', *IDS), IDS[:3] + (None,)),
    (['key-2'], None, IDS),
    (['key-2'], 42, IDS),
    (['key-2'], '\xe9' * 64, IDS),
    ([], trust.sign('key-2', *IDS), IDS),
])
def test_wrong_or_missing_signatures_fail(keys, signature, ids):
    assert not trust.verify(keys, signature, *ids)


def test_fields_do_not_run_into_each_other():
    assert trust.sign('k', 'ab', 'c', 't', None) != \
        trust.sign('k', 'a', 'bc', 't', None)


def test_parse_keys():
    assert trust.parse_keys(' one, two ,,') == ['one', 'two']
    assert trust.parse_keys(None) == []
    assert trust.parse_keys(['x', ' ']) == ['x']
