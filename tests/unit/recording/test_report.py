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

import logging

from requestshook.recording import report


def test_failure_logged_once_per_kind(caplog):
    reporter = report.Reporter()
    with caplog.at_level(logging.ERROR, logger='requestshook'):
        assert reporter.failed('open /x', 13, 'cannot open %s', '/x')
        assert not reporter.failed('open /x', 13, 'cannot open %s', '/x')
        assert reporter.failed('open /x', 28, 'full %s', '/x')
    assert [r.getMessage() for r in caplog.records] == [
        'cannot open /x', 'full /x']


def test_resolved_rearms_and_says_so(caplog):
    reporter = report.Reporter()
    with caplog.at_level(logging.WARNING, logger='requestshook'):
        assert not reporter.resolved('open /x', 'back')
        reporter.failed('open /x', 13, 'broken')
        assert reporter.pending('open /x')
        assert reporter.resolved('open /x', 'back %s', 'again')
        assert not reporter.pending('open /x')
        reporter.failed('open /x', 13, 'broken')
    assert [r.getMessage() for r in caplog.records] == [
        'broken', 'back again', 'broken']


def test_categories_are_independent():
    reporter = report.Reporter()
    reporter.failed('config', 'a', 'x')
    reporter.failed('filters', 'b', 'y')
    reporter.resolved('config')
    assert not reporter.pending('config')
    assert reporter.pending('filters')
