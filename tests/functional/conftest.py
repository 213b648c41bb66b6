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

"""One real stack (keystone, glance, swift, nova, placement, neutron) for
the whole session.

The stack venv is built on first use (a few minutes) and cached; see
doc/source/functional.rst.
"""

import os

import pytest

from requestshook.loopback import computescenarios
from requestshook.loopback import processes
from requestshook.loopback import scenarios
from requestshook.loopback import stack as stack_module
from requestshook.loopback import venv as venv_module


@pytest.fixture(scope='session')
def stack():
    processes.stop_on_signals()
    with stack_module.Stack(venv_module.ensure()) as running:
        yield running


@pytest.fixture(scope='session')
def recorded(stack, tmp_path_factory):
    """Every scenario once, each recorded as one flow."""
    return scenarios.run(stack, str(tmp_path_factory.mktemp('scenarios')))


class Unrecorded(object):
    """The scenarios again, plain CLI, requestshook switched off."""

    def __init__(self, run, log_size_before, log_size_after):
        self.run = run
        self.log_size_before = log_size_before
        self.log_size_after = log_size_after


def _unrecorded(stack, run_again):
    stack.set_capture(False)
    try:
        before = os.path.getsize(stack.log_file)
        again = run_again()
        after = os.path.getsize(stack.log_file)
    finally:
        stack.set_capture(True)
    return Unrecorded(again, before, after)


@pytest.fixture(scope='session')
def unrecorded(stack, recorded):
    return _unrecorded(stack, lambda: scenarios.run(
        stack, recorded.folder, record=False))


@pytest.fixture(scope='session')
def compute_recorded(stack, tmp_path_factory):
    """Every compute scenario once, each recorded as one flow."""
    return computescenarios.run(
        stack, str(tmp_path_factory.mktemp('compute-scenarios')))


@pytest.fixture(scope='session')
def compute_unrecorded(stack, compute_recorded):
    """The compute scenarios again (same server name, same image), off."""
    return _unrecorded(stack, lambda: computescenarios.run(
        stack, compute_recorded.folder, record=False,
        image_id=compute_recorded.image_id))
