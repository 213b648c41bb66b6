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


"""Who installs the RPC hook, each in a fresh interpreter."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip('oslo_messaging')

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))

# One call over fake:// and what the log got.
ONE_CALL = textwrap.dedent('''
    import json, sys, warnings
    warnings.simplefilter('ignore')
    import oslo_messaging as messaging
    from oslo_config import cfg

    class Endpoint(object):
        def ping(self, ctxt):
            return 'pong'

    transport = messaging.get_rpc_transport(cfg.CONF, url='fake:///')
    target = messaging.Target(exchange='nova', topic='conductor', server='h')
    server = messaging.get_rpc_server(transport, target, [Endpoint()],
                                      executor='threading')
    server.start()
    client = messaging.get_rpc_client(
        transport, messaging.Target(exchange='nova', topic='conductor'))
    assert client.call({}, 'ping') == 'pong'
    server.stop()
    server.wait()
    events = [json.loads(line) for line in open(sys.argv[1])]
    print(json.dumps([(e['side'], e['event'], e.get('proto'), e['from'],
                       e['to']) for e in events]))
''')


def _configured(tmp_path):
    config = tmp_path / 'requestshook.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\n'
                      % (tmp_path / 'requestshook.log'))
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith('REQUESTSHOOK_')}
    environment.update(PYTHONPATH=REPO, REQUESTSHOOK_CONFIG=str(config))
    return environment


def _run(tmp_path, prelude, **env):
    log = tmp_path / 'requestshook.log'
    log.touch()
    environment = _configured(tmp_path)
    environment.update(env)
    done = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(prelude) + ONE_CALL,
         str(log)], capture_output=True, text=True, cwd=str(tmp_path),
        env=environment, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [tuple(item) for item in
            json.loads(done.stdout.strip().splitlines()[-1])]


CALL_EVENTS = [
    ('client', 'request', 'rpc', 'nova-conductor', 'nova-conductor'),
    ('server', 'request', 'rpc', 'nova-conductor', 'nova-conductor'),
    ('server', 'response', 'rpc', 'nova-conductor', 'nova-conductor'),
    ('client', 'response', 'rpc', 'nova-conductor', 'nova-conductor'),
]


def test_the_startup_hook_installs_it_on_importing_oslo_messaging(tmp_path):
    # site.py ran requestshook.pth before this code: only the environment.
    prelude = '''
        import requestshook.capture.startup
        requestshook.capture.startup.run_from_pth()
        assert 'requests' not in __import__('sys').modules
    '''
    assert _run(tmp_path, prelude,
                REQUESTSHOOK_ENABLE='nova-conductor') == CALL_EVENTS


def test_enable_installs_it(tmp_path):
    prelude = '''
        import requestshook
        requestshook.enable(service_name='nova-conductor')
    '''
    assert _run(tmp_path, prelude) == CALL_EVENTS


def test_the_paste_filter_installs_it(tmp_path):
    prelude = '''
        from requestshook import middleware
        middleware.filter_factory(
            {}, service_name='nova-conductor')(
                lambda environ, start_response: [])
    '''
    assert _run(tmp_path, prelude) == CALL_EVENTS


def test_requestshook_runs_without_oslo_messaging(tmp_path):
    code = textwrap.dedent('''
        import sys
        sys.modules['oslo_messaging'] = None     # not installed
        import requestshook
        from requestshook.capture import rpc
        requestshook.enable(service_name='cli')
        rpc.install()
        try:
            import oslo_messaging  # noqa
        except ImportError:
            print('ok')
    ''')
    environment = _configured(tmp_path)
    done = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, env=environment, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ['ok']
    assert 'rpc' not in done.stderr.lower()
