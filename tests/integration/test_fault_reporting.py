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

"""Faults land once in the service's own oslo.log log.

A service process set up as OpenStack services are (oslo.config + oslo.log
writing to a file) gets a broken requestshook configuration, a broken
filters file and a full disk as its shared log; each is reported once in
the service's log and no exception reaches the service.
"""

import os
import subprocess
import sys
import textwrap

SERVICE = textwrap.dedent('''
    import sys
    from oslo_config import cfg
    from oslo_log import log as logging
    from requestshook import event
    from requestshook.recording import recorder

    service_log, rh_conf = sys.argv[1:3]
    overrides = {'service_name': 'svc'}
    if len(sys.argv) > 3:
        overrides['log_file'] = sys.argv[3]
    conf = cfg.ConfigOpts()
    logging.register_options(conf)
    conf(args=['--log-file', service_log], project='service')
    logging.setup(conf, 'service')
    logging.getLogger('service').info('service started')

    hook = recorder.get_recorder(rh_conf, overrides)
    for number in range(5):
        hook.emit(event.request_event(
            event.SERVER, event.new_id(), event.new_id(), None, 'cli',
            'svc', 'GET', 'http://127.0.0.1/', [], None))
        hook.should_record('cli', 'svc', 'GET', '/')
    logging.getLogger('service').info('service still answering')
''')


def test_each_fault_reported_once_in_the_service_log(tmp_path):
    filters = tmp_path / 'should_not_hook.json'
    filters.write_text('{"filters": [')
    rh_conf = tmp_path / 'requestshook.conf'
    rh_conf.write_text('[DEFAULT]\nlog_file = /dev/full\n'
                       'filters_file = %s\nmax_body_bytes = lots\n'
                       % filters)
    service_log = tmp_path / 'service.log'
    shared_log = tmp_path / 'requestshook.log'
    env = dict(os.environ, REQUESTSHOOK_CONFIG='/nonexistent')
    # The filter's own log_file option keeps the defaults off /var/log.
    result = subprocess.run(
        [sys.executable, '-c', SERVICE, str(service_log), str(rh_conf),
         str(shared_log)],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = service_log.read_text().splitlines()
    assert 'service still answering' in lines[-1]
    config = [line for line in lines if str(rh_conf) in line]
    assert len(config) == 1 and 'max_body_bytes' in config[0]
    assert 'ERROR' in config[0]
    # A broken file fails closed: not the defaults, nothing recorded.
    assert 'records nothing' in config[0]
    assert not shared_log.exists()

    rh_conf.write_text('[DEFAULT]\nlog_file = /dev/full\n'
                       'filters_file = %s\n' % filters)
    service_log.unlink()
    result = subprocess.run(
        [sys.executable, '-c', SERVICE, str(service_log), str(rh_conf)],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = service_log.read_text().splitlines()
    assert 'service still answering' in lines[-1]
    full = [line for line in lines if '/dev/full' in line]
    broken_filters = [line for line in lines if str(filters) in line]
    assert len(full) == 1 and 'ERROR' in full[0]
    assert 'a character device, not a regular file' in full[0]
    assert len(broken_filters) == 1 and 'ERROR' in broken_filters[0]
