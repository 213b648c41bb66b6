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


"""Switching recording off while calls run: a call that started recording
finishes recording, and one whose opening event was dropped writes none.
"""

import os
import threading

import pytest
import requests

from requestshook.capture import context
from requestshook.capture import middleware
from requestshook.capture import outbound
from requestshook import event
from requestshook.recording import recorder as recorder_module
from tests.unit.capture import test_outbound
from tests.unit.capture import wsgiref_server
from tests.unit import fake_recorder


_install = outbound.install


@pytest.fixture(autouse=True)
def no_outbound_install(monkeypatch):
    monkeypatch.setattr(outbound, 'install', lambda **kwargs: None)


def switching_off(rec):
    """An application that switches recording off while it runs."""
    def app(environ, start_response):
        rec.is_enabled = False
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'done']
    return app


def test_inbound_call_started_recording_finishes_recording():
    rec = fake_recorder.FakeRecorder()
    served = wsgiref_server.serve(
        middleware.RequestsHook(switching_off(rec), {}, recorder=rec))
    assert served.body == b'done'
    assert rec.kinds() == [('request', 'server'), ('response', 'server')]


class _OffAfterTheCheck(fake_recorder.FakeRecorder):
    """Switched off between the hook's check and its first event."""

    def enabled(self):
        enabled = super(_OffAfterTheCheck, self).enabled()
        self.is_enabled = False
        return enabled


def test_inbound_call_whose_request_was_dropped_writes_no_end():
    rec = _OffAfterTheCheck()
    served = wsgiref_server.serve(
        middleware.RequestsHook(wsgiref_server_app, {}, recorder=rec))
    assert served.body == b'ok'
    assert rec.events == []


def wsgiref_server_app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'ok']


@pytest.fixture(scope='module')
def server():
    httpd = test_outbound.Server(('127.0.0.1', 0), test_outbound.Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % httpd.server_port
    httpd.shutdown()
    httpd.server_close()


def test_outbound_call_started_recording_finishes_recording(
        server, monkeypatch):
    rec = fake_recorder.FakeRecorder(callee='test-server')
    monkeypatch.setattr(outbound._settings, 'recorder', rec)
    monkeypatch.setattr(outbound._settings, 'service_name', 'cli')
    monkeypatch.delenv(context.TRACE_ID_ENV, raising=False)
    _install()
    response = requests.get(server + '/big', stream=True)
    rec.is_enabled = False
    assert response.content == test_outbound.BIG
    assert rec.kinds() == [('request', 'client'), ('response', 'client')]


def test_outbound_call_whose_request_was_dropped_writes_no_end(
        server, monkeypatch):
    rec = _OffAfterTheCheck(callee='test-server')
    monkeypatch.setattr(outbound._settings, 'recorder', rec)
    monkeypatch.setattr(outbound._settings, 'service_name', 'cli')
    _install()
    response = requests.get(server + '/headers')
    assert response.status_code == 200
    assert rec.events == []


def test_real_recorder_switched_off_mid_call(tmp_path, clock):
    config = tmp_path / 'requestshook.conf'
    log = tmp_path / 'requestshook.log'

    def write(enabled):
        fresh = tmp_path / 'new.conf'
        fresh.write_text('[DEFAULT]\nenabled = %s\nlog_file = %s\n'
                         'filters_file = %s\n' % (
                             enabled, log, tmp_path / 'none.json'))
        os.replace(str(fresh), str(config))
    write('true')
    rec = recorder_module.Recorder(str(config), clock=clock)
    try:
        def app(environ, start_response):
            write('false')
            clock.advance(5)
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'done']
        wsgiref_server.serve(middleware.RequestsHook(app, {}, recorder=rec))
        assert not rec.enabled()
        wsgiref_server.serve(middleware.RequestsHook(app, {}, recorder=rec))
    finally:
        rec.close()
    written = [event.decode(line) for line in log.read_bytes().splitlines()]
    assert [record['event'] for record in written] == ['request',
                                                       'response']


def test_closing_event_never_goes_where_failing_closed_points(
        tmp_path, clock, monkeypatch):
    # The config file vanishes mid-call: the recorder fails closed, on
    # the default settings.  The call's end must not be written to the
    # default log, which the operator never chose.
    from requestshook.recording import opts
    default_log = tmp_path / 'default.log'
    log_option = [option for option in opts.requestshook_opts
                  if option.dest == 'log_file'][0]
    monkeypatch.setattr(log_option, 'default', str(default_log))
    config = tmp_path / 'requestshook.conf'
    log = tmp_path / 'chosen.log'
    config.write_text('[DEFAULT]\nenabled = true\nlog_file = %s\n'
                      'filters_file = %s\n' % (log, tmp_path / 'none.json'))
    rec = recorder_module.Recorder(str(config), clock=clock)
    try:
        def app(environ, start_response):
            os.unlink(str(config))
            clock.advance(5)
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'done']
        served = wsgiref_server.serve(
            middleware.RequestsHook(app, {}, recorder=rec))
        assert served.body == b'done'
        assert not rec.enabled()
    finally:
        rec.close()
    assert not default_log.exists()
    written = [event.decode(line) for line in log.read_bytes().splitlines()]
    assert [record['event'] for record in written] == ['request']
