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


"""RPC events through the real recorder: what the log may not hold."""

import json

import pytest

from requestshook.capture import outbound
from requestshook.capture import rpc
from requestshook.recording import recorder as recorder_module
from tests.unit.capture import rpc_fixtures as fx

messaging = pytest.importorskip('oslo_messaging')
from oslo_config import cfg  # noqa: E402

SECRETS = ('gAAAAA-auth-token', 'gAAAAA-service-token', 'ctx-password',
           'Adm1nPass', 'n3w-pass', 'rescue-pw', 'nested-pw', 'blob-value',
           'rabbit-pw')


@pytest.fixture
def logged(tmp_path, monkeypatch):
    """The hooks writing through a real recorder to a log file."""
    path = tmp_path / 'requestshook.log'
    recorder = recorder_module.Recorder(
        str(tmp_path / 'absent.conf'),
        overrides={'log_file': str(path), 'max_body_bytes': '100000'})
    monkeypatch.setattr(outbound._settings, 'recorder', recorder)
    monkeypatch.setattr(outbound._settings, 'service_name', 'nova-api')
    monkeypatch.setattr(outbound._settings, 'hmac_key', None)
    rpc.install()
    yield path
    recorder.close()


def _context():
    return {'auth_token': 'gAAAAA-auth-token',
            'service_token': 'gAAAAA-service-token',
            'service_user_token': 'gAAAAA-service-token',
            'password': 'ctx-password',
            'request_id': 'req-0f3c', 'global_request_id': 'req-9a1b',
            'user_id': 'u-1', 'project_id': 'p-1', 'roles': ['admin'],
            'service_catalog': [{'type': 'identity', 'endpoints': [
                {'url': 'http://admin:ctx-password@127.0.0.1/'}]}]}


def test_context_and_secret_arguments_never_reach_the_log(logged):
    transport = messaging.get_rpc_transport(
        cfg.CONF, url='fake://guest:rabbit-pw@127.0.0.1:5672/')

    class Compute(object):
        def build_and_run_instance(self, ctxt, **kwargs):
            return {'token': 'gAAAAA-auth-token', 'ok': True}

        def rebuild_instance(self, ctxt, new_pass, **kwargs):
            raise ValueError('no rebuild')

        def rescue_instance(self, ctxt, rescue_password):
            return None

    try:
        with fx.serving(transport, [Compute()], topic='compute'):
            client = fx.client(transport, topic='compute')
            client.call(_context(), 'build_and_run_instance',
                        admin_password='Adm1nPass', admin_pass='Adm1nPass',
                        instance={'nova_object.data': {
                            'password': 'nested-pw', 'blob': 'blob-value',
                            'name': 'vm1'}},
                        block_device_info={'auth_token': 'gAAAAA-auth-token'})
            with pytest.raises(ValueError):
                client.call(_context(), 'rebuild_instance',
                            new_pass='n3w-pass')
            client.call(_context(), 'rescue_instance',
                        rescue_password='rescue-pw')
    finally:
        transport.cleanup()
    text = logged.read_text()
    events = [json.loads(line) for line in text.splitlines()]
    assert len(events) == 12
    for secret in SECRETS:
        assert secret not in text
    first = events[0]
    assert first['body']['data']['instance']['nova_object.data']['name'] == \
        'vm1'
    assert dict(first['headers']) == {
        'X-Openstack-Request-Id': 'req-0f3c',
        'X-Openstack-Global-Request-Id': 'req-9a1b',
        'X-User-Id': 'u-1', 'X-Project-Id': 'p-1'}
    # The context's other fields are not logged at all, not even masked.
    assert 'roles' not in text and 'service_catalog' not in text
