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

"""What the log holds cannot drive the terminal the readers print on."""

import io
import sys

import pytest

from requestshook.cmd import main
from requestshook.reading import sample

# Any client chooses a request's query and body; a service may echo
# them in a reason or an error.  OSC 0 retitles the window, CSI 2J
# clears the screen, C1 CSI (\x9b) is the same in 8 bits.
HOSTILE = 'x=\x1b]0;pwned\x07\x1b[2J\x9b31m\r'


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _log(tmp_path):
    log = sample.image_create()
    with log.call('openstack', 'glance-api', 'GET',
                  'http://h/v2/images?' + HOSTILE, status=500,
                  reason='Oops' + HOSTILE,
                  response_body={'message': HOSTILE},
                  response_type='application/json'):
        pass
    return log.write(str(tmp_path / 'rh.log'))


@pytest.mark.parametrize('command', [
    ['log', '2'], ['tail', '-n', '5'], ['flows'], ['diagram', '2'],
    ['markdown', '2'],
])
def test_no_control_character_reaches_a_terminal(
        tmp_path, monkeypatch, command):
    path = _log(tmp_path)
    terminal = Terminal()
    monkeypatch.setattr(sys, 'stdout', terminal)
    assert main.main(command + ['--log', path]) == 0
    out = terminal.getvalue()
    assert out
    for character in '\x1b\x07\x9b\r':
        assert character not in out


def test_a_file_or_pipe_gets_the_text_as_it_is(tmp_path, monkeypatch):
    path = _log(tmp_path)
    pipe = io.StringIO()
    monkeypatch.setattr(sys, 'stdout', pipe)
    assert main.main(['log', '2', '--log', path]) == 0
    assert '\x1b' in pipe.getvalue()
