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

import importlib.metadata
import os

from oslo_config import cfg
from oslo_config import generator

from requestshook.recording import opts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
EXPECTED = {'enabled', 'service_name', 'log_file', 'log_group',
            'max_body_bytes', 'filters_file', 'redact_headers',
            'redact_body_keys', 'unredacted_headers',
            'unredacted_body_keys', 'url_map', 'sinks', 'redis_stream',
            'redis_maxlen', 'otlp_endpoint', 'otlp_headers',
            'sink_queue_size', 'sink_flush_timeout', 'emit_traceparent'}


def test_list_opts_shape():
    listed = opts.list_opts()
    assert [group for group, _ in listed] == ['DEFAULT']
    assert {opt.dest for opt in listed[0][1]} == EXPECTED


def test_list_opts_returns_copies():
    first = opts.list_opts()[0][1]
    assert all(a is not b for a, b in zip(first, opts.requestshook_opts))


def test_defaults():
    conf = cfg.ConfigOpts()
    conf.register_opts(opts.requestshook_opts)
    conf(args=[], default_config_files=[], default_config_dirs=[])
    assert conf.enabled is True
    assert conf.service_name is None
    assert conf.log_file == '/var/log/requestshook/requestshook.log'
    assert conf.log_group is None
    assert conf.max_body_bytes == 65536
    assert conf.filters_file == '/etc/requestshook/should_not_hook.json'
    # The lists add to the built-in ones (redact_keys), empty by default.
    assert conf.redact_headers == conf.redact_body_keys == []
    assert conf.unredacted_headers == conf.unredacted_body_keys == []
    headers = {name.lower() for name in opts.DEFAULT_REDACT_HEADERS}
    assert {'x-auth-token', 'x-subject-token', 'x-service-token',
            'authorization', 'x-auth-key', 'cookie'} <= headers
    assert {'password', 'secret', 'adminpass', 'original_password',
            'new_password'} <= set(opts.DEFAULT_REDACT_BODY_KEYS)
    assert ':8080=swift-proxy-server' in conf.url_map
    assert '/identity=keystone' in conf.url_map


def test_entry_point_is_registered():
    points = importlib.metadata.entry_points(group='oslo.config.opts')
    found = [point for point in points if point.name == 'requestshook']
    assert found and found[0].load() is opts.list_opts


def test_sample_config_is_current(tmp_path):
    output = tmp_path / 'requestshook.conf.sample'
    conf = cfg.ConfigOpts()
    generator.register_cli_opts(conf)
    conf(['--config-file',
          os.path.join(ROOT, 'etc/oslo-config-generator/requestshook.conf'),
          '--output-file', str(output)])
    generator.generate(conf)
    with open(os.path.join(ROOT,
                           'etc/requestshook/requestshook.conf.sample')) as f:
        shipped = f.read()
    assert output.read_text() == shipped, (
        'etc/requestshook/requestshook.conf.sample is stale: run tox -e '
        'genconfig')
