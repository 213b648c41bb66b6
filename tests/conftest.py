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


"""Guards of the whole test run (unit, integration, functional).

- A forked child that returns into pytest (a test's child that raised
  before its ``os._exit``) is ended at once with status 70, so the parent
  sees it fail instead of the child running the rest of the session.
- With ``$REQUESTSHOOK_SESSION_RECORD`` set (tox), the session writes the
  record :mod:`tests.session_check` verifies: a run that ends early, even
  with status 0, does not pass.
- ``REQUESTSHOOK_REQUIRE_REDIS=1`` / ``REQUESTSHOOK_REQUIRE_RABBITMQ=1``
  (CI) turn the skips of tests that need those Debian servers into
  failures, as ``REQUESTSHOOK_REQUIRE_CHROMIUM`` and
  ``REQUESTSHOOK_REQUIRE_SHELLCHECK`` do for theirs.
"""

import os
import sys

import pytest

from tests import session_check

SESSION_PID = os.getpid()

# REQUESTSHOOK_REQUIRE_<NAME>=1: a skip whose reason names the server fails.
REQUIRED_SERVERS = {
    'REQUESTSHOOK_REQUIRE_REDIS': 'redis-server',
    'REQUESTSHOOK_REQUIRE_RABBITMQ': 'rabbitmq-server',
}

_record = {}
_outcomes = {}


def _in_a_forked_child():
    if os.getpid() == SESSION_PID:
        return False
    sys.stderr.write(
        '\nrequestshook tests: process %d, forked by a test of pytest %d, '
        'returned into pytest; ending it (status 70)\n'
        % (os.getpid(), SESSION_PID))
    sys.stderr.flush()
    os._exit(70)


def pytest_collection_finish(session):
    path = session_check.record_path()
    if path and os.getpid() == SESSION_PID:
        _record.update(pid=SESSION_PID, collected=len(session.items),
                       finished=False)
        session_check.write(path, _record)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped:
        return
    reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple)
                 else report.longrepr)
    for variable, server in REQUIRED_SERVERS.items():
        if os.environ.get(variable) == '1' and server in reason:
            report.outcome = 'failed'
            report.longrepr = ('%s is required (%s=1) but the test skipped: '
                               '%s' % (server, variable, reason))


def pytest_runtest_logreport(report):
    _in_a_forked_child()
    if report.failed:
        _outcomes[report.nodeid] = 'failed'
    elif report.skipped:
        _outcomes.setdefault(report.nodeid, 'skipped')
    elif report.when == 'call':
        _outcomes.setdefault(report.nodeid, 'passed')


def pytest_sessionfinish(session, exitstatus):
    _in_a_forked_child()
    path = session_check.record_path()
    if not path or not _record:
        return
    counts = {}
    for outcome in _outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    _record.update(finished=True, finished_pid=os.getpid(),
                   exitstatus=int(exitstatus), outcomes=counts)
    session_check.write(path, _record)
