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

import os

import hypothesis
import pytest

# Fuzzing with hypothesis: a bounded number of examples in the default run
# (tox -e py3); REQUESTSHOOK_FUZZ_PROFILE=fuzz (tox -e fuzz) runs many more.
hypothesis.settings.register_profile(
    'default', max_examples=60, deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.register_profile(
    'fuzz', max_examples=5000, deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.load_profile(
    os.environ.get('REQUESTSHOOK_FUZZ_PROFILE', 'default'))


class Clock(object):
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds=1.0):
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(params=['orjson', 'stdlib'])
def json_backend(request, monkeypatch):
    """Run a test with orjson (skipped if not installed), then without.

    ``pytestmark = pytest.mark.usefixtures('json_backend')`` in a module
    runs each of its tests on both paths of :mod:`requestshook.event_json`.
    """
    from requestshook import event_json
    if request.param == 'stdlib':
        monkeypatch.setattr(event_json, '_orjson', None)
    elif event_json._orjson is None:
        pytest.skip('orjson is not installed')
    return request.param
