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


"""256 MiB up and down through the filter cost no memory and arrive whole.

The same streaming application is served (by gunicorn, and by uwsgi as
devstack serves the APIs, when it is installed) from a paste pipeline
with the requestshook filter and from one without it.  Each moves 256 MiB
up (a PUT the application reads in 64 KiB pieces: chunked under
gunicorn, with a Content-Length under uwsgi, which needs an option for
chunked input) and 256 MiB down (a generated response); the worker's
peak RSS (VmHWM)
must grow by less than 32 MiB more with the filter than without, and the
bytes must arrive unchanged (sha256 on both ends).  Data is generated on
the fly on both sides, never written to disk.
"""

import hashlib
import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest
import requests

from tests.integration import servers

TOTAL = 256 * 1024 * 1024
BLOCK = 1024 * 1024
ALLOWED_EXTRA_GROWTH_KB = 32 * 1024

APP = textwrap.dedent('''
    import hashlib
    import json
    import os

    BLOCK = 1024 * 1024
    FILE_NAME = 'file_body.bin'
    BASE = bytes(range(256)) * (BLOCK // 256)


    def blocks(total):
        """Distinct 1 MiB blocks: a reordered or lost block shows."""
        for number in range(total // BLOCK):
            yield number.to_bytes(8, 'big') + BASE[8:]


    def memory_kb():
        fields = {}
        with open('/proc/self/status') as status:
            for line in status:
                name, _, value = line.partition(':')
                fields[name] = value.split()[0] if value.split() else ''
        return {'VmHWM': int(fields['VmHWM']), 'VmRSS': int(fields['VmRSS'])}


    def _json(start_response, value, status='200 OK'):
        body = json.dumps(value).encode()
        start_response(status, [('Content-Type', 'application/json'),
                                ('Content-Length', str(len(body)))])
        return [body]


    def factory(global_conf, **local_conf):
        def app(environ, start_response):
            path = environ['PATH_INFO']
            if path == '/upload':
                digest, size = hashlib.sha256(), 0
                stream = environ['wsgi.input']
                while True:
                    data = stream.read(65536)
                    if not data:
                        break
                    digest.update(data)
                    size += len(data)
                return _json(start_response, {'size': size,
                                              'sha256': digest.hexdigest()})
            if path == '/download':
                total = int(environ['QUERY_STRING'])
                start_response('200 OK', [
                    ('Content-Type', 'application/octet-stream'),
                    ('Content-Length', str(total))])
                return blocks(total)
            if path == '/file':
                stream = open(FILE_NAME, 'rb')
                size = os.fstat(stream.fileno()).st_size
                start_response('200 OK', [
                    ('Content-Type', 'application/octet-stream'),
                    ('Content-Length', str(size))])
                return environ['wsgi.file_wrapper'](stream, BLOCK)
            return _json(start_response, memory_kb())
        return app
''')


def _load_app_module(path):
    spec = importlib.util.spec_from_file_location('streaming_app', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _expected_sha256(module, total):
    digest = hashlib.sha256()
    for block in module.blocks(total):
        digest.update(block)
    return digest.hexdigest()


def _upload(session, service, module, total, chunked):
    headers = {} if chunked else {'Content-Length': str(total)}
    return session.put(service.url + '/upload', data=module.blocks(total),
                       headers=headers)


def _stream_through(service, module, total, chunked):
    """Warm up, then 256 MiB up and down; returns the figures seen."""
    session = requests.Session()
    for small in (BLOCK, 2 * BLOCK):
        _upload(session, service, module, small, chunked)
        session.get(service.url + '/download?%d' % small).content
    before = session.get(service.url + '/memory').json()
    up = _upload(session, service, module, total, chunked)
    assert up.status_code == 200
    down_digest, down_size = hashlib.sha256(), 0
    with session.get(service.url + '/download?%d' % total,
                     stream=True) as down:
        assert down.status_code == 200
        for chunk in down.iter_content(BLOCK):
            down_digest.update(chunk)
            down_size += len(chunk)
    after = session.get(service.url + '/memory').json()
    return {'up': up.json(), 'down': {'size': down_size,
                                      'sha256': down_digest.hexdigest()},
            'growth_kb': after['VmHWM'] - before['VmHWM'],
            'before': before, 'after': after}


@pytest.fixture(scope='module')
def app_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp('streaming')
    (folder / 'streaming_app.py').write_text(APP)
    return folder


def _measure(folder, hooked, server):
    name = '%s-%s' % (server, 'hooked' if hooked else 'plain')
    log_file = folder / ('%s.log' % name)
    config = servers.write_config(folder / ('%s.conf' % name), log_file)
    service = servers.Service(folder, name, servers.paste_ini(
        'streaming_app:factory', 'big-svc' if hooked else None, config),
        folder, server=server)
    try:
        service.wait_ready('/memory')
        module = _load_app_module(str(folder / 'streaming_app.py'))
        figures = _stream_through(service, module, TOTAL,
                                  chunked=server == 'gunicorn')
        return figures, log_file, module
    finally:
        service.stop()


@pytest.mark.parametrize('server', servers.SERVERS)
def test_256_mib_up_and_down_cost_no_memory_and_arrive_whole(app_folder,
                                                             capsys, server):
    if server == 'uwsgi' and not servers.uwsgi_binary():
        pytest.skip('uwsgi is not installed')
    plain, _, module = _measure(app_folder, False, server)
    hooked, log_file, _ = _measure(app_folder, True, server)
    expected = _expected_sha256(module, TOTAL)
    with capsys.disabled():
        print('\n%s streaming %d MiB: %s' % (server, TOTAL >> 20, json.dumps({
            'sha256': expected,
            'plain': {k: plain[k] for k in ('growth_kb', 'before', 'after')},
            'hooked': {k: hooked[k] for k in ('growth_kb', 'before',
                                              'after')}})))
    for figures in (plain, hooked):
        assert figures['up'] == {'size': TOTAL, 'sha256': expected}
        assert figures['down'] == {'size': TOTAL, 'sha256': expected}
    assert hooked['growth_kb'] - plain['growth_kb'] < ALLOWED_EXTRA_GROWTH_KB

    events = servers.read_events(log_file)
    upload = [e for e in events if e['url'].endswith('/upload')
              and e['event'] == 'response'][-1]
    download = [e for e in events if e['url'].endswith('?%d' % TOTAL)
                and e['event'] == 'response'][-1]
    assert upload['request_body']['size'] == TOTAL
    assert upload['request_body']['truncated'] is True
    assert download['body']['size'] == TOTAL
    assert download['body']['truncated'] is True


CLIENT = textwrap.dedent('''
    import hashlib
    import json
    import sys

    import requests

    import streaming_app

    url, mode, config_file, total = sys.argv[1:5]
    total = int(total)
    if mode == 'hooked':
        import requestshook
        requestshook.enable('big-client', config_file=config_file)


    def transfer(size):
        up = requests.put(url + '/upload', data=streaming_app.blocks(size))
        digest, received = hashlib.sha256(), 0
        with requests.get(url + '/download?%d' % size, stream=True) as down:
            for chunk in down.iter_content(streaming_app.BLOCK):
                digest.update(chunk)
                received += len(chunk)
        return up.json(), {'size': received, 'sha256': digest.hexdigest()}


    transfer(2 * streaming_app.BLOCK)
    before = streaming_app.memory_kb()
    up, down = transfer(total)
    after = streaming_app.memory_kb()
    print(json.dumps({'up': up, 'down': down,
                      'growth_kb': after['VmHWM'] - before['VmHWM']}))
''')


def test_256_mib_through_the_outbound_hook_cost_no_memory(app_folder,
                                                          capsys):
    """As glance-api streams an image to swift: the client side."""
    log_file = app_folder / 'client.log'
    config = servers.write_config(app_folder / 'client.conf', log_file)
    service = servers.Service(app_folder, 'client-target', servers.paste_ini(
        'streaming_app:factory'), app_folder)
    figures = {}
    try:
        service.wait_ready('/memory')
        for mode in ('plain', 'hooked'):
            done = subprocess.run(
                [sys.executable, '-c', CLIENT, service.url, mode,
                 str(config), str(TOTAL)],
                env=servers.clean_environment(PYTHONPATH=str(app_folder)),
                capture_output=True, timeout=300)
            assert done.returncode == 0, done.stderr.decode()
            figures[mode] = json.loads(done.stdout)
    finally:
        service.stop()
    module = _load_app_module(str(app_folder / 'streaming_app.py'))
    expected = {'size': TOTAL, 'sha256': _expected_sha256(module, TOTAL)}
    with capsys.disabled():
        print('\nclient hook streaming %d MiB: %s' % (TOTAL >> 20, json.dumps(
            {mode: figures[mode]['growth_kb'] for mode in figures})))
    for mode in figures:
        assert figures[mode]['up'] == expected
        assert figures[mode]['down'] == expected
    assert figures['hooked']['growth_kb'] - figures['plain']['growth_kb'] \
        < ALLOWED_EXTRA_GROWTH_KB
    events = servers.read_events(log_file, url_part='%d' % TOTAL)
    closing = [e for e in servers.read_events(log_file)
               if e['event'] == 'response' and e['side'] == 'client']
    assert [e['request_body']['size'] for e in closing
            if e['method'] == 'PUT'][-1] == TOTAL
    assert events[-1]['body']['size'] == TOTAL


FILE_TOTAL = 64 * 1024 * 1024


def _file_body(folder):
    """A file without a newline: iterated, it would be one 64 MiB line."""
    path = folder / 'file_body.bin'
    if not path.exists():
        block = bytes(range(256)).replace(b'\n', b'\0') * (BLOCK // 256)
        with open(str(path), 'wb') as stream:
            for _ in range(FILE_TOTAL // BLOCK):
                stream.write(block)
    digest = hashlib.sha256()
    with open(str(path), 'rb') as stream:
        for block in iter(lambda: stream.read(BLOCK), b''):
            digest.update(block)
    return digest.hexdigest()


def _file_download(folder, hooked, server):
    name = '%s-file-%s' % (server, 'hooked' if hooked else 'plain')
    log_file = folder / ('%s.log' % name)
    config = servers.write_config(folder / ('%s.conf' % name), log_file)
    service = servers.Service(folder, name, servers.paste_ini(
        'streaming_app:factory', 'file-svc' if hooked else None, config),
        folder, server=server)
    try:
        service.wait_ready('/memory')
        session = requests.Session()
        before = session.get(service.url + '/memory').json()
        digest, size = hashlib.sha256(), 0
        with session.get(service.url + '/file', stream=True) as down:
            assert down.status_code == 200
            for chunk in down.iter_content(BLOCK):
                digest.update(chunk)
                size += len(chunk)
        after = session.get(service.url + '/memory').json()
        return {'size': size, 'sha256': digest.hexdigest(),
                'growth_kb': after['VmHWM'] - before['VmHWM']}, log_file
    finally:
        service.stop()


@pytest.mark.parametrize('server', servers.SERVERS)
def test_file_wrapper_response_costs_no_memory(app_folder, capsys, server):
    """uwsgi's file_wrapper hands the file back: it must stay a file."""
    if server == 'uwsgi' and not servers.uwsgi_binary():
        pytest.skip('uwsgi is not installed')
    expected = {'size': FILE_TOTAL, 'sha256': _file_body(app_folder)}
    plain, _ = _file_download(app_folder, False, server)
    hooked, log_file = _file_download(app_folder, True, server)
    with capsys.disabled():
        print('\n%s file_wrapper %d MiB: growth_kb plain %d hooked %d' % (
            server, FILE_TOTAL >> 20, plain['growth_kb'],
            hooked['growth_kb']))
    for figures in (plain, hooked):
        assert {k: figures[k] for k in expected} == expected
    assert hooked['growth_kb'] - plain['growth_kb'] < ALLOWED_EXTRA_GROWTH_KB
    closing = [e for e in servers.read_events(log_file, url_part='/file')
               if e['event'] != 'request']
    assert [e['event'] for e in closing] == ['response']
    assert closing[0]['body']['size'] == FILE_TOTAL
