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


"""The check that fails a pytest run which ended before its tests did."""

import json

from tests import session_check

FINISHED = {'pid': 10, 'finished_pid': 10, 'collected': 3, 'finished': True,
            'exitstatus': 0, 'outcomes': {'passed': 2, 'skipped': 1}}


def test_a_finished_run_whose_tests_all_reported_passes():
    assert session_check.problems(FINISHED) == []


def test_a_run_that_never_finished_fails():
    record = {'pid': 10, 'collected': 3, 'finished': False}
    assert 'never finished' in session_check.problems(record)[0]


def test_a_run_finished_by_a_forked_child_fails():
    record = dict(FINISHED, finished_pid=11)
    assert 'forked child' in session_check.problems(record)[0]


def test_fewer_reported_than_collected_fails():
    record = dict(FINISHED, outcomes={'passed': 2})
    assert session_check.problems(record) == [
        '3 tests collected, only 2 reported']


def test_no_test_or_a_failure_or_a_bad_status_fails():
    assert 'no test ran' in session_check.problems(
        dict(FINISHED, collected=0, outcomes={}))
    assert '1 tests failed' in session_check.problems(
        dict(FINISHED, outcomes={'passed': 2, 'failed': 1}))
    assert 'pytest exit status 1' in session_check.problems(
        dict(FINISHED, exitstatus=1))


def test_main_fails_without_a_record_and_passes_a_good_one(
        tmp_path, capsys):
    path = tmp_path / 'session.json'
    assert session_check.main([str(path)]) == 1
    assert 'no usable record' in capsys.readouterr().err
    path.write_text(json.dumps(FINISHED))
    assert session_check.main([str(path)]) == 0
    path.write_text(json.dumps(dict(FINISHED, finished=False)))
    assert session_check.main([str(path)]) == 1
