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


"""A client calls service A, which calls service B: three processes.

A and B are paste.deploy pipelines with the requestshook filter, each
served by its own gunicorn (or uwsgi, when installed) on 127.0.0.1; the
client is a separate Python process with
``requestshook.enable(service_name='client-cli')``.  A uses
python-requests to call B, as glance-api calls keystone or swift.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from requestshook import event
from tests.integration import servers

TOKEN = 'gAAAAABtoken-0123456789-secret-value'
PASSWORD = 'correct-horse-battery-staple'

APPS = textwrap.dedent('''
    import json

    import requests


    def _json(start_response, status, value):
        body = json.dumps(value).encode()
        start_response(status, [('Content-Type', 'application/json'),
                                ('Content-Length', str(len(body)))])
        return [body]


    def service_a(global_conf, backend, **local_conf):
        def app(environ, start_response):
            if environ['PATH_INFO'] == '/ready':
                return _json(start_response, '200 OK', {})
            length = int(environ.get('CONTENT_LENGTH') or 0)
            asked = json.loads(environ['wsgi.input'].read(length))
            answer = requests.post(
                backend + '/v3/auth/tokens',
                json={'auth': {'password': asked['password']}},
                headers={'X-Auth-Token': environ['HTTP_X_AUTH_TOKEN']})
            return _json(start_response, '201 Created',
                         {'backend': answer.json(),
                          'backend_hop': answer.headers.get(
                              'X-Requestshook-Request-Id')})
        return app


    def service_b(global_conf, **local_conf):
        def app(environ, start_response):
            if environ['PATH_INFO'] == '/ready':
                return _json(start_response, '200 OK', {})
            length = int(environ.get('CONTENT_LENGTH') or 0)
            environ['wsgi.input'].read(length)
            return _json(start_response, '200 OK', {'token': {'ok': True}})
        return app
''')

CLIENT = textwrap.dedent('''
    import json
    import sys

    import requests

    import requestshook

    config_file, url, token, password = sys.argv[1:5]
    requestshook.enable(service_name='client-cli', config_file=config_file)
    response = requests.post(url + '/v1/things', json={'password': password},
                             headers={'X-Auth-Token': token})
    print(json.dumps({'status': response.status_code,
                      'headers': dict(response.headers),
                      'body': response.json()}))
''')


@pytest.fixture(params=[('gunicorn', False), ('gunicorn', True),
                        ('uwsgi', True)],
                ids=['gunicorn', 'gunicorn-preload', 'uwsgi-preforked'])
def two_services(request, tmp_path):
    # Preloaded, the filter loads in the master before it forks its worker
    # (uwsgi's default): the worker must still write to the log on its own.
    server, preload = request.param
    if server == 'uwsgi' and not servers.uwsgi_binary():
        pytest.skip('uwsgi is not installed')
    (tmp_path / 'capture_apps.py').write_text(APPS)
    (tmp_path / 'filters.json').write_text('[{"urls": ["/ready"]}]')
    log_file = tmp_path / 'log' / 'requestshook.log'
    port_a, port_b = servers.free_port(), servers.free_port()
    config = servers.write_config(
        tmp_path / 'requestshook.conf', log_file,
        filters_file=str(tmp_path / 'filters.json'),
        extra='url_map = 127.0.0.1:%d=svc-a,127.0.0.1:%d=svc-b\n'
              % (port_a, port_b))
    started = []
    try:
        started.append(servers.Service(
            tmp_path, 'svc-b', servers.paste_ini(
                'capture_apps:service_b', 'svc-b', config),
            tmp_path, port=port_b, preload=preload, server=server))
        started.append(servers.Service(
            tmp_path, 'svc-a', servers.paste_ini(
                'capture_apps:service_a', 'svc-a', config,
                {'backend': 'http://127.0.0.1:%d' % port_b}),
            tmp_path, port=port_a, preload=preload, server=server))
        for service in started:
            service.wait_ready()
        yield started[1], started[0], config, log_file
    finally:
        for service in started:
            service.stop()


def _hops(events):
    hops = {}
    for record in events:
        hops.setdefault(record['id'], {})[
            (record['side'], record['event'])] = record
    return hops


def test_client_a_b_recorded_on_both_sides(two_services):
    service_a, service_b, config, log_file = two_services
    client = subprocess.run(
        [sys.executable, '-c', CLIENT, str(config), service_a.url, TOKEN,
         PASSWORD], env=servers.clean_environment(), capture_output=True,
        timeout=120)
    assert client.returncode == 0, client.stderr.decode()
    answer = json.loads(client.stdout)
    assert answer['status'] == 201, (service_a.stderr(), service_b.stderr())
    assert answer['body']['backend'] == {'token': {'ok': True}}

    events = servers.read_events(log_file, expected=8)
    assert len(events) == 8, events
    hops = _hops(events)
    assert len(hops) == 2
    four = {('client', 'request'), ('client', 'response'),
            ('server', 'request'), ('server', 'response')}
    assert all(set(sides) == four for sides in hops.values())

    outer_id = answer['headers'][event.HEADER_REQUEST_ID]
    inner_id = answer['body']['backend_hop']
    assert set(hops) == {outer_id, inner_id}
    assert answer['headers'][event.HEADER_REQUEST_FROM] == 'client-cli'
    outer, inner = hops[outer_id], hops[inner_id]

    trace = outer[('client', 'request')]['trace']
    assert {record['trace'] for record in events} == {trace}
    assert all(r['parent'] is None for r in outer.values())
    assert all(r['parent'] == outer_id for r in inner.values())
    assert {(r['from'], r['to']) for r in outer.values()} == {
        ('client-cli', 'svc-a')}
    assert {(r['from'], r['to']) for r in inner.values()} == {
        ('svc-a', 'svc-b')}

    # Written by three processes: the client, A's worker, B's worker.
    client_pid = outer[('client', 'request')]['pid']
    a_pid = outer[('server', 'request')]['pid']
    b_pid = inner[('server', 'request')]['pid']
    assert len({client_pid, a_pid, b_pid}) == 3
    assert inner[('client', 'request')]['pid'] == a_pid
    assert inner[('server', 'response')]['status'] == 200
    assert outer[('client', 'response')]['status'] == 201
    assert outer[('server', 'response')]['body']['data']['backend'] == {
        'token': {'ok': True}}
    assert outer[('server', 'response')]['request_body']['data'] == {
        'password': '***'}

    text = log_file.read_text()
    assert TOKEN not in text
    assert PASSWORD not in text
    assert '{SHA256}' in text
