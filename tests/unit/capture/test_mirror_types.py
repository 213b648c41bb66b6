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

"""mirror.class_for answers per type once, and per instance where it must."""

import io

from requestshook.capture import body
from requestshook.capture import mirror
from requestshook.capture import observed_input


def _offers_each(wrapped):
    return tuple(name for name in observed_input.ObservedInput.OPTIONAL
                 if mirror._offers(wrapped, name))


class _Reader(object):
    def read(self, size=-1):
        return b''


class _Dynamic(object):
    def __getattr__(self, name):
        if name == 'readline':
            return lambda: b''
        raise AttributeError(name)


class _Guarded(object):
    def read(self, size=-1):
        return b''

    @property
    def readinto(self):
        raise AttributeError('readinto')


def test_the_type_answer_is_the_instance_answer():
    for wrapped in (io.BytesIO(b'x'), _Reader(), _Dynamic(), _Guarded()):
        assert mirror._offered(observed_input.ObservedInput, wrapped) == \
            _offers_each(wrapped)
    assert _offers_each(_Guarded()) == ('read',)
    assert 'readline' in _offers_each(_Dynamic())


def test_an_instance_with_a_method_of_its_own():
    plain, own = _Reader(), _Reader()
    own.readline = lambda: b''
    assert mirror._offered(observed_input.ObservedInput, plain) == ('read',)
    assert mirror._offered(observed_input.ObservedInput, own) == (
        'read', 'readline')
    assert hasattr(observed_input.ObservedInput(own, body.BodyHead(10)),
                   'readline')
    assert not hasattr(observed_input.ObservedInput(plain, body.BodyHead(10)),
                       'readline')
