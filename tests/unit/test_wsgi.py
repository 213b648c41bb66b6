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

import importlib
import sys
import textwrap
import wsgiref.util

import pytest

from requestshook import event
from requestshook.capture import middleware
from requestshook import wsgi

# A service that, like keystone, parses sys.argv when it is imported.
TARGET = textwrap.dedent("""
    import argparse
    import sys

    seen_argv = list(sys.argv)
    argparse.ArgumentParser().parse_args()  # exits on gunicorn's options


    def application(environ, start_response):
        start_response('201 Created', [('Content-Type', 'text/plain')])
        return [b'made']


    class nested(object):
        app = application
""")


@pytest.fixture
def target(tmp_path, monkeypatch):
    name = 'rh_target_%s' % tmp_path.name.replace('-', '_')
    (tmp_path / (name + '.py')).write_text(TARGET)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, 'argv', ['gunicorn', '-b', '127.0.0.1:1',
                                      '--workers', '2'])
    yield name
    sys.modules.pop(name, None)


def _call(app):
    environ = {'REQUEST_METHOD': 'POST', 'PATH_INFO': '/v3/things'}
    wsgiref.util.setup_testing_defaults(environ)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen['status'] = status
        seen['headers'] = dict(headers)
    result = app(environ, start_response)
    try:
        body = b''.join(result)
    finally:
        result.close()  # as a WSGI server does
    return seen['status'], seen['headers'], body


def _events(path):
    with open(str(path), 'rb') as stream:
        return [event.decode(line) for line in stream]


def test_make_application_wraps_and_hides_argv(target, tmp_path):
    log = tmp_path / 'rh.log'
    app = wsgi.make_application(target + ':application', 'keystone',
                                log_file=str(log))
    assert isinstance(app, middleware.RequestsHook)
    assert sys.modules[target].seen_argv == ['gunicorn']
    assert sys.argv[1:] == ['-b', '127.0.0.1:1', '--workers', '2']
    status, headers, body = _call(app)
    assert (status, body) == ('201 Created', b'made')
    hop_id = headers[event.HEADER_REQUEST_ID]
    recorded = _events(log)
    assert [e['event'] for e in recorded] == ['request', 'response']
    assert {e['to'] for e in recorded} == {'keystone'}
    assert {e['id'] for e in recorded} == {hop_id}


def test_attribute_path_and_default_attribute(target):
    assert wsgi.load_target(target + ':nested.app') is \
        wsgi.load_target(target)


def test_unknown_attribute_is_reported(target):
    with pytest.raises(wsgi.ConfigurationError):
        wsgi.load_target(target + ':nothing')


@pytest.mark.parametrize('target_name, service', [
    ('keystone.wsgi.api:application', 'keystone'),
    ('placement.wsgi.api:application', 'placement-api'),
    ('mysvc.server:app', 'mysvc'),
])
def test_default_service_name(target_name, service):
    assert wsgi.default_service_name(target_name) == service


def test_module_application_from_environment(target, tmp_path, monkeypatch):
    log = tmp_path / 'rh.log'
    config = tmp_path / 'rh.conf'
    config.write_text('[DEFAULT]\nlog_file = %s\n' % log)
    monkeypatch.setenv('REQUESTSHOOK_CONFIG', str(config))
    monkeypatch.setenv(wsgi.APP_ENV, target + ':application')
    monkeypatch.delenv(wsgi.SERVICE_NAME_ENV, raising=False)
    module = importlib.reload(wsgi)
    try:
        # Built at import, in the module's dict, where uwsgi looks.
        app = module.__dict__['application']
        assert isinstance(app, middleware.RequestsHook)
        _call(app)
        assert {e['to'] for e in _events(log)} == {target}
    finally:
        wsgi.__dict__.pop('application', None)


def test_module_application_needs_the_variable(monkeypatch):
    monkeypatch.delenv(wsgi.APP_ENV, raising=False)
    wsgi.__dict__.pop('application', None)
    module = importlib.reload(wsgi)
    assert 'application' not in module.__dict__
    with pytest.raises(wsgi.ConfigurationError) as raised:
        module.application
    assert wsgi.APP_ENV in str(raised.value)
