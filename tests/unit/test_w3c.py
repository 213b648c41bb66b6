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


"""W3C trace context: ids, traceparent in and out."""

import pytest
import requests
import webob

from requestshook.capture import middleware
from requestshook.capture import outbound
from requestshook import event
from requestshook import w3c
from tests.unit.capture import test_outbound
from tests.unit import fake_recorder

TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
PARENT = '00f067aa0ba902b7'
TRACEPARENT = '00-%s-%s-01' % (TRACE, PARENT)

server = test_outbound.server


def test_ids_are_requestshook_ids_split_in_two():
    hop = event.new_id()
    assert w3c.trace_id(TRACE) == TRACE
    assert w3c.client_span_id(hop) == hop[:16]
    assert w3c.server_span_id(hop) == hop[16:]
    assert w3c.traceparent(TRACE, hop) == '00-%s-%s-01' % (TRACE, hop[:16])


def test_other_ids_are_hashed_to_size():
    for trace in ('my-run', 'A' * 32, '0' * 32, ''):
        made = w3c.trace_id(trace)
        assert len(made) == 32 and made != '0' * 32
        assert int(made, 16) >= 0
    assert w3c.trace_id('my-run') == w3c.trace_id('my-run')
    assert w3c.client_span_id('x') != w3c.server_span_id('x')
    assert len(w3c.client_span_id('x')) == 16


@pytest.mark.parametrize('value, expected', [
    (TRACEPARENT, (TRACE, PARENT)),
    (' %s ' % TRACEPARENT, (TRACE, PARENT)),
    # The spec's HEXDIGLC: uppercase hex is invalid, the trace restarts.
    (TRACEPARENT.upper(), None),
    ('00-%s-%s-01' % (TRACE.upper(), PARENT), None),
    ('00-%s-%s-01' % (TRACE, PARENT.upper()), None),
    ('00-%s-%s-0A' % (TRACE, PARENT), None),
    ('0A-%s-%s-01' % (TRACE, PARENT), None),
    ('00-%s-%s-01\n' % (TRACE, PARENT), (TRACE, PARENT)),
    ('00-%s-%s-01\n00' % (TRACE, PARENT), None),
    ('00-%s-%s-1' % (TRACE, PARENT), None),
    ('00-%s-%s-001' % (TRACE, PARENT), None),
    ('00-%s-%s-01' % (TRACE + '0', PARENT), None),
    ('00-%s-%s-01' % (TRACE, PARENT + '0'), None),
    ('00-%s-%s-01' % (TRACE, PARENT[:-1]), None),
    ('01-%s-%s-01.' % (TRACE, PARENT), None),
    ('00_%s_%s_01' % (TRACE, PARENT), None),
    ('00-%s-%s-01' % ('g' * 32, PARENT), None),
    (b'00-%s-%s-01' % (TRACE.encode(), PARENT.encode()), None),
    ('01-%s-%s-01-future' % (TRACE, PARENT), (TRACE, PARENT)),
    ('00-%s-%s-01-extra' % (TRACE, PARENT), None),
    ('ff-%s-%s-01' % (TRACE, PARENT), None),
    ('00-%s-%s-01' % ('0' * 32, PARENT), None),
    ('00-%s-%s-01' % (TRACE, '0' * 16), None),
    ('00-%s-%s-01' % (TRACE[:-1], PARENT), None),
    ('junk', None), (None, None),
])
def test_parse(value, expected):
    assert w3c.parse(value) == expected


@pytest.fixture
def no_install(monkeypatch):
    monkeypatch.setattr(outbound, 'install', lambda **kwargs: None)


def _serve(headers):
    rec = fake_recorder.FakeRecorder()

    def answer(environ, start_response):
        start_response('200 OK', [])
        return [b'']
    app = middleware.RequestsHook(answer, {'service_name': 'nova-api'},
                                  recorder=rec)
    environ = webob.Request.blank('/v2.1/servers', headers=headers).environ
    list(app(environ, lambda status, headers, exc_info=None: None))
    return rec.events[0]


def test_inbound_traceparent_without_requestshook_ids_continues(
        no_install):
    arrived = _serve({'traceparent': TRACEPARENT})
    assert arrived['trace'] == TRACE
    assert arrived['parent'] == PARENT
    assert len(arrived['id']) == 32 and arrived['id'] != TRACE


def test_requestshook_ids_win_over_traceparent(no_install):
    hop, trace = event.new_id(), event.new_id()
    arrived = _serve({'traceparent': TRACEPARENT,
                      event.HEADER_REQUEST_ID: hop,
                      event.HEADER_TRACE_ID: trace})
    assert (arrived['id'], arrived['trace'], arrived['parent']) == \
        (hop, trace, None)


def test_junk_traceparent_is_ignored(no_install):
    arrived = _serve({'traceparent': '00-nothex-01'})
    assert arrived['trace'] != TRACE and arrived['parent'] is None


@pytest.mark.parametrize('emit', [True, False])
def test_outbound_traceparent_only_when_asked(server, monkeypatch, emit):
    rec = fake_recorder.FakeRecorder(emit_traceparent=emit)
    monkeypatch.setattr(outbound._settings, 'recorder', rec)
    monkeypatch.setattr(outbound._settings, 'service_name', 'cli')
    monkeypatch.setattr(outbound._settings, 'hmac_key', None)
    outbound.install()
    seen = requests.get(server + '/headers').json()['headers']
    request = rec.events[0]
    if emit:
        assert seen['traceparent'] == w3c.traceparent(request['trace'],
                                                      request['id'])
        assert w3c.parse(seen['traceparent'])[1] == request['id'][:16]
    else:
        assert 'traceparent' not in {name.lower() for name in seen}
