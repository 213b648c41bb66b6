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


"""Proof that a pytest session really ran its tests, and its check.

A pytest run can end with status 0 without having run what it collected:
``os._exit(0)`` reached from a test, or a forked child that returned into
pytest instead of ending with ``os._exit`` (the child runs the rest of the
session and its status is what the caller sees).  pytest's own status says
nothing then, so ``tests/conftest.py`` writes a record when
``$REQUESTSHOOK_SESSION_RECORD`` names a file: the number of tests
collected, then, at the end of the session and only in the process that
started it, the outcome of each test and pytest's exit status.

``python -m tests.session_check RECORD`` (tox's py3 env after pytest)
fails unless the session finished in the process that started it, with
status 0, at least one test, and every collected test reported.
"""

import json
import os
import sys

RECORD_ENV = 'REQUESTSHOOK_SESSION_RECORD'


def record_path():
    return os.environ.get(RECORD_ENV) or None


def write(path, record):
    partial = '%s.%d' % (path, os.getpid())
    with open(partial, 'w') as out:
        json.dump(record, out, sort_keys=True)
    os.replace(partial, path)


def problems(record):
    """What is wrong with a session's record (empty: it really passed)."""
    if not record.get('finished'):
        return ['the session never finished: pytest ended (os._exit, '
                'a signal, a timeout) after collecting %s tests'
                % record.get('collected')]
    found = []
    if record.get('finished_pid') != record.get('pid'):
        found.append('the session was finished by process %s, not by '
                     'pytest (%s): a forked child returned into pytest'
                     % (record.get('finished_pid'), record.get('pid')))
    if record.get('exitstatus') != 0:
        found.append('pytest exit status %s' % record.get('exitstatus'))
    outcomes = record.get('outcomes', {})
    reported = sum(outcomes.values())
    if not reported:
        found.append('no test ran')
    if reported < record.get('collected', 0):
        found.append('%d tests collected, only %d reported'
                     % (record['collected'], reported))
    if outcomes.get('failed'):
        found.append('%d tests failed' % outcomes['failed'])
    return found


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print('usage: python -m tests.session_check RECORD', file=sys.stderr)
        return 2
    try:
        with open(argv[0]) as source:
            record = json.load(source)
    except (OSError, ValueError) as exc:
        print('session check: no usable record of the pytest session '
              '(%s): pytest never started or never collected' % exc,
              file=sys.stderr)
        return 1
    found = problems(record)
    for problem in found:
        print('session check: %s' % problem, file=sys.stderr)
    if found:
        return 1
    print('session check: %d tests collected, outcomes %s'
          % (record['collected'], json.dumps(record['outcomes'],
                                             sort_keys=True)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
