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

"""Progress lines for the slow steps, on stderr, with the time elapsed."""

import subprocess
import sys
import time

_START = time.monotonic()


def say(message):
    """One progress line: ``[ 12.3s] message``."""
    sys.stderr.write('[%6.1fs] %s\n' % (time.monotonic() - _START, message))
    sys.stderr.flush()


def wait(process, what, every=15.0, detail=None):
    """Wait for ``process``, saying every ``every`` seconds it still runs.

    ``detail`` is called for a short note to add (e.g. the package pip is
    fetching).  Returns the exit status.
    """
    started = time.monotonic()
    while True:
        try:
            return process.wait(timeout=every)
        except subprocess.TimeoutExpired:
            pass
        note = detail() if detail else ''
        say('  still %s (%ds)%s' % (
            what, time.monotonic() - started, ': ' + note if note else ''))
