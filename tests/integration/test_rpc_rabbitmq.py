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


"""The RPC hook over a real RabbitMQ, sender and receiver in two processes.

A private broker (Debian's rabbitmq-server, its own epmd) on 127.0.0.1;
skipped when rabbitmq-server is not installed.  Each combination of a
hooked or plain sender and receiver must give the endpoint the same
context and arguments and the caller the same result.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip('oslo_messaging')

RABBITMQ_BIN = '/usr/lib/rabbitmq/bin'
EPMD = shutil.which('epmd')
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PASSWORD = 'Rabb1t-Pa55'

pytestmark = pytest.mark.skipif(
    not os.path.exists(os.path.join(RABBITMQ_BIN, 'rabbitmq-server'))
    or EPMD is None, reason='rabbitmq-server (Debian) is not installed')


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _wait_for_port(port, process, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError('exited with %s' % process.returncode)
        try:
            with socket.create_connection(('127.0.0.1', port), 1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError('nothing listens on %d' % port)


def _stop(process):
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(20)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope='module')
def broker(tmp_path_factory):
    """``rabbit://`` URL of a private broker; stopped at the end."""
    base = tmp_path_factory.mktemp('rabbit')
    port, dist_port, epmd_port = _free_port(), _free_port(), _free_port()
    (base / 'home').mkdir()
    (base / 'rabbitmq.conf').write_text(
        'listeners.tcp.1 = 127.0.0.1:%d\nloopback_users = none\n'
        'default_user = rh\ndefault_pass = %s\n' % (port, PASSWORD))
    (base / 'enabled_plugins').write_text('[].\n')
    env = dict(os.environ, HOME=str(base / 'home'),
               ERL_EPMD_ADDRESS='127.0.0.1', ERL_EPMD_PORT=str(epmd_port),
               RABBITMQ_NODENAME='rhtest@localhost',
               RABBITMQ_CONFIG_FILE=str(base / 'rabbitmq'),
               RABBITMQ_MNESIA_BASE=str(base / 'mnesia'),
               RABBITMQ_LOG_BASE=str(base / 'log'),
               RABBITMQ_ENABLED_PLUGINS_FILE=str(base / 'enabled_plugins'),
               RABBITMQ_PID_FILE=str(base / 'pid'),
               RABBITMQ_DIST_PORT=str(dist_port),
               RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=(
                   '-kernel inet_dist_use_interface {127,0,0,1}'))
    epmd = subprocess.Popen([EPMD, '-address', '127.0.0.1', '-port',
                             str(epmd_port)], env=env,
                            start_new_session=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    server = None
    try:
        _wait_for_port(epmd_port, epmd, 10)
        with open(base / 'server.out', 'wb') as output:
            server = subprocess.Popen(
                [os.path.join(RABBITMQ_BIN, 'rabbitmq-server')], env=env,
                start_new_session=True, stdout=output,
                stderr=subprocess.STDOUT)
        _wait_for_port(port, server, 90)
        yield 'rabbit://rh:%s@127.0.0.1:%d/' % (PASSWORD, port)
    finally:
        if server is not None:
            _stop(server)
        _stop(epmd)


PEER = textwrap.dedent('''
    import json, sys, time, warnings
    warnings.simplefilter('ignore')
    role, hooked, url, log, topic = sys.argv[1:6]
    if hooked == 'hooked':
        import requestshook
        with open(log + '.conf', 'w') as config:
            config.write('[DEFAULT]\\nlog_file = %s\\n' % log)
        requestshook.enable(service_name='nova-' + role,
                            config_file=log + '.conf')
    import oslo_messaging as messaging
    from oslo_config import cfg
    transport = messaging.get_rpc_transport(cfg.CONF, url=url)
    if role == 'conductor':
        got = []

        class Conductor(object):
            def build(self, ctxt, spec):
                got.append([ctxt, spec])
                return {'built': spec}

            def stop(self, ctxt):
                got.append('stop')

        server = messaging.get_rpc_server(
            transport, messaging.Target(exchange='nova', topic=topic,
                                        server='h1'),
            [Conductor()], executor='threading')
        server.start()
        print('ready', flush=True)
        while 'stop' not in got:
            time.sleep(0.05)
        server.stop()
        server.wait()
        print(json.dumps(got[:-1]))
    else:
        client = messaging.get_rpc_client(
            transport, messaging.Target(exchange='nova', topic=topic),
            timeout=30)
        ctxt = {'request_id': 'req-amqp', 'auth_token': 'tok-secret',
                'user_id': 'u1'}
        print(json.dumps(client.call(ctxt, 'build', spec={'n': 1})))
        client.cast(ctxt, 'build', spec={'n': 2})
        client.cast({}, 'stop')
    transport.cleanup()
''')


def _exchange(tmp_path, url, conductor, api, topic):
    """Run a conductor and an api process; (answers, events by side)."""
    logs = {}
    env = dict(os.environ, PYTHONPATH=REPO)
    env.pop('REQUESTSHOOK_ENABLE', None)
    for role in ('conductor', 'api'):
        logs[role] = tmp_path / ('%s-%s.log' % (topic, role))
        logs[role].touch()
    server = subprocess.Popen(
        [sys.executable, '-c', PEER, 'conductor', conductor, url,
         str(logs['conductor']), topic], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == 'ready', \
            server.stderr.read()[-2000:]
        client = subprocess.run(
            [sys.executable, '-c', PEER, 'api', api, url, str(logs['api']),
             topic], env=env, capture_output=True, text=True, timeout=120)
        assert client.returncode == 0, client.stderr[-2000:]
        received, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    events = {role: [json.loads(line) for line in open(path)]
              for role, path in logs.items()}
    text = ''.join(open(path).read() for path in logs.values())
    return (client.stdout.strip(), json.loads(received.splitlines()[-1]),
            events, text)


def test_every_combination_behaves_as_today(tmp_path, broker):
    plain = _exchange(tmp_path, broker, 'plain', 'plain', 'rh-plain')
    assert plain[0] == '{"built": {"n": 1}}'
    assert [spec for _, spec in plain[1]] == [{'n': 1}, {'n': 2}]
    for conductor, api in (('hooked', 'hooked'), ('plain', 'hooked'),
                           ('hooked', 'plain')):
        topic = 'rh-%s-%s' % (conductor, api)
        answer, received, events, text = _exchange(
            tmp_path, broker, conductor, api, topic)
        assert (answer, received) == plain[:2], (conductor, api)
        assert 'tok-secret' not in text and PASSWORD not in text
        if api == 'hooked':
            assert [(e['side'], e['event'], e['method'])
                    for e in events['api']] == [
                ('client', 'request', 'CALL'),
                ('client', 'response', 'CALL'),
                ('client', 'request', 'CAST'),
                ('client', 'request', 'CAST')]
        if conductor == 'hooked':
            assert len(events['conductor']) == 6
            assert {e['side'] for e in events['conductor']} == {'server'}
        if conductor == api == 'hooked':
            # One hop per message, both processes writing its id.
            assert [e['id'] for e in events['api'] if e['event'] ==
                    'request'] == [e['id'] for e in events['conductor']
                                   if e['event'] == 'request']
            assert {e['from'] for e in events['conductor']} == {'nova-api'}
        elif conductor == 'hooked':
            assert {e['from'] for e in events['conductor']} == {'unknown'}
            assert {e['parent'] for e in events['conductor']} == {None}
