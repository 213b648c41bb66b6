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
import urllib.error
import urllib.request

from requestshook.cmd import main
from requestshook.reading import sample


def _serve(argv, ready):
    parser = main.build_parser()
    args = parser.parse_args(['serve'] + argv)
    return args.func(args, ready=ready)


def _status(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_serves_until_stopped_and_prints_its_address_with_a_token(
        tmp_path, capsys, monkeypatch):
    monkeypatch.delenv('REQUESTSHOOK_SERVE_TOKEN', raising=False)
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    seen = {}

    def ready(server):
        port = server.server_address[1]
        base = 'http://127.0.0.1:%d/api/flows' % port
        seen['anonymous'] = _status(base)[0]
        token = server.access.token
        status, body = _status(base, {'Authorization': 'Bearer ' + token})
        seen['flows'] = json.loads(body)
        seen['port'], seen['token'] = port, token
        threading.Thread(target=server.stop).start()

    assert _serve(['--log', path, '--bind', '127.0.0.1:0'], ready) == 0
    out = capsys.readouterr().out
    assert len(seen['token']) >= 32
    assert out.splitlines()[0] == \
        'requestshook: serving http://127.0.0.1:%d/?token=%s' % (
            seen['port'], seen['token'])
    assert seen['anonymous'] == 401
    assert seen['flows']['total'] == 1


def test_no_token_serves_loopback_without_one(tmp_path, capsys):
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    seen = {}

    def ready(server):
        port = server.server_address[1]
        seen['status'] = _status('http://127.0.0.1:%d/api/flows' % port)[0]
        seen['port'] = port
        threading.Thread(target=server.stop).start()

    assert _serve(['--log', path, '--bind', '127.0.0.1:0', '--no-token'],
                  ready) == 0
    assert seen['status'] == 200
    assert capsys.readouterr().out.splitlines()[0] == \
        'requestshook: serving http://127.0.0.1:%d/' % seen['port']


def test_given_token_is_required(tmp_path, capsys):
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    token = 'a-token-of-24-characters'
    seen = {}

    def ready(server):
        base = 'http://127.0.0.1:%d/api/flows' % server.server_address[1]
        seen['anonymous'] = _status(base)[0]
        seen['given'] = _status(base, {
            'Authorization': 'Bearer ' + token})[0]
        threading.Thread(target=server.stop).start()

    assert _serve(['--log', path, '--bind', '127.0.0.1:0', '--token',
                   token], ready) == 0
    assert (seen['anonymous'], seen['given']) == (401, 200)
    assert '?token=' + token in capsys.readouterr().out


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


def _refused(capsys, argv):
    started = []

    def ready(server):
        started.append(server)
        threading.Thread(target=server.stop).start()

    assert _serve(argv, ready) == 1
    assert not started
    return capsys.readouterr().err


def test_no_token_is_refused_off_loopback(tmp_path, capsys):
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    err = _refused(capsys, [path, '--bind', '0.0.0.0:0', '--no-token'])
    assert '--no-token' in err and 'loopback' in err


def test_a_short_token_is_refused(tmp_path, capsys):
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    err = _refused(capsys, [path, '--bind', '127.0.0.1:0',
                            '--token', 'short'])
    assert '16 characters' in err


def test_a_short_token_from_the_environment_is_refused(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setenv('REQUESTSHOOK_SERVE_TOKEN', 'short')
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    err = _refused(capsys, [path, '--bind', '127.0.0.1:0'])
    assert '16 characters' in err and 'REQUESTSHOOK_SERVE_TOKEN' in err


def test_no_token_and_token_are_exclusive(tmp_path, capsys):
    path = sample.image_list().write(str(tmp_path / 'rh.log'))
    err = _refused(capsys, [path, '--no-token', '--token', 'x' * 20])
    assert 'not both' in err
