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

"""The reader draws what the RPC hook really writes.

oslo.messaging's fake driver carries a cast to a "conductor" endpoint,
which calls a "scheduler" endpoint (which asks an HTTP "placement") and
casts to a "compute" endpoint; the events the hooks emit are read back
as one flow and drawn.  The unit tests of the reader use hand-made
events; this one checks that the format agreed with the capture side is
the one it writes.
"""

import http.server
import threading

import pytest
import requests

from requestshook.reading import flow as flow_module
from requestshook.render import markdown
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module
from tests.unit.capture import rpc_fixtures as fx
from tests.unit.capture.rpc_fixtures import rec_fixture  # noqa: F401
from tests.unit.capture.rpc_fixtures import transport_fixture  # noqa: F401

messaging = pytest.importorskip('oslo_messaging')


class Placement(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        payload = b'{"allocation_requests": []}'
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def placement():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Placement)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_boot_over_the_fake_driver_reads_as_one_drawn_flow(
        rec, transport, placement):
    built = threading.Event()

    class Scheduler(object):
        def select_destinations(self, ctxt, instance_uuids):
            with requests.Session() as session:
                session.get(placement + '/allocation_candidates').json()
            return [['cmp1']]

    class Compute(object):
        def build_and_run_instance(self, ctxt, instance):
            built.set()

    class Conductor(object):
        def build_instances(self, ctxt, instances):
            hosts = fx.client(transport, topic='scheduler').call(
                ctxt, 'select_destinations', instance_uuids=instances)
            fx.client(transport, topic='compute').prepare(
                server=hosts[0][0]).cast(ctxt, 'build_and_run_instance',
                                         instance=instances[0])

    with fx.serving(transport, [Scheduler()], topic='scheduler'), \
            fx.serving(transport, [Compute()], topic='compute',
                       server='cmp1'), \
            fx.serving(transport, [Conductor()]):
        fx.client(transport).cast({}, 'build_instances', instances=['vm1'])
        assert built.wait(10)
        # cast: 1 + 2; call: 4; http: 2; cast: 1 + 2
        fx.wait_for(lambda: len(rec.events) == 12)

    flow = flow_module.Flow('t', rec.events)
    assert len(flow.roots) == 1
    build = flow.roots[0]
    assert build.is_cast and build.call_text == 'cast build_instances'
    assert build.sides == ('client', 'server')
    assert [c.call_text for c in build.children] == [
        'call select_destinations', 'cast build_and_run_instance']
    pick, run = build.children
    assert pick.response_body['data'] == [['cmp1']]
    assert pick.request_body['data'] == {'instance_uuids': ['vm1']}
    assert [c.call_text for c in pick.children] == [
        'GET /allocation_candidates']
    assert run.rpc_topic == 'compute.cmp1'
    assert flow.errors == 0

    sequence = sequence_module.Sequence(flow)
    outline = [(item.kind, item.label) for item in sequence.items]
    assert outline == [
        ('request', 'cast build_instances'),
        ('opt', 'after the cast: %s build_instances' % build.callee),
        ('request', 'call select_destinations'),
        ('request', 'GET /allocation_candidates'),
        ('response', '200 OK'),
        ('response', 'select_destinations returned'),
        # compute made no call: its cast has no block of its own.
        ('request', 'cast build_and_run_instance'),
        ('end', '')]
    diagram = mermaid.render(sequence)
    assert '-)' in diagram and 'cast build_and_run_instance' in diagram
    page = markdown.render(sequence)
    assert '### (1) cast build_instances' in page
    assert '    {\n      "instances": [\n        "vm1"\n      ]\n    }' in page
