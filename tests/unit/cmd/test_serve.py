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

import json
import threading
import urllib.request

from requestshook.cmd import main
from requestshook.reading import sample


def test_serves_until_stopped_and_prints_its_address(tmp_path, capsys):
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    seen = {}

    def ready(server):
        port = server.server_address[1]
        url = 'http://127.0.0.1:%d/api/flows' % port
        with urllib.request.urlopen(url, timeout=10) as response:
            seen['flows'] = json.loads(response.read())
        seen['port'] = port
        threading.Thread(target=server.stop).start()

    parser = main.build_parser()
    args = parser.parse_args(['serve', '--log', path, '--bind',
                              '127.0.0.1:0'])
    assert args.func(args, ready=ready) == 0
    out = capsys.readouterr().out
    assert out == 'requestshook: serving http://127.0.0.1:%d/\n' % \
        seen['port']
    assert seen['flows']['total'] == 1


def _error(capsys, argv):
    assert main.main(argv) == 1
    return capsys.readouterr().err


def test_stdin_cannot_be_served(capsys):
    assert 'stdin (-) cannot be served' in _error(capsys, ['serve', '-'])


def test_missing_log(tmp_path, capsys):
    err = _error(capsys, ['serve', '--log', str(tmp_path / 'none.log')])
    assert 'no such log file' in err


def test_bad_bind(tmp_path, capsys):
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    err = _error(capsys, ['serve', path, '--bind', '127.0.0.1:http'])
    assert '--bind wants HOST:PORT' in err


def test_files_and_source_are_exclusive(tmp_path, capsys):
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    err = _error(capsys, ['serve', path, '--source', 'redis://127.0.0.1'])
    assert 'not both' in err


def test_source_must_be_redis(capsys):
    err = _error(capsys, ['serve', '--source', 'http://example.com'])
    assert 'redis://' in err


def test_token_from_the_environment(monkeypatch):
    monkeypatch.setenv('REQUESTSHOOK_SERVE_TOKEN', 's3cret')
    args = main.build_parser().parse_args(['serve'])
    assert args.token == 's3cret'
