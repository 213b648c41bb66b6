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

"""A local OTLP/HTTP receiver: OTel's peer as operators run it.

``python otlp_receiver.py PORT`` answers ``POST /v1/traces`` (protobuf,
as the OTLP/HTTP exporter sends it) as a collector does, decodes each
request with ``opentelemetry-proto`` to count its spans, and answers
``GET /count`` with the spans received so far and ``POST /reset`` by
zeroing it.  It runs in a process of its own, as a collector would, so
the exporter pays the real encoding, HTTP and connection costs and the
receiver's own work is not charged to the peer.
"""

import http.server
import sys
import threading

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

_lock = threading.Lock()
_spans = [0]


def _count(payload):
    request = trace_service_pb2.ExportTraceServiceRequest()
    request.ParseFromString(payload)
    return sum(len(scope.spans) for resource in request.resource_spans
               for scope in resource.scope_spans)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def _answer(self, status, body=b'', content_type='text/plain'):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get('Content-Length') or 0)
        payload = self.rfile.read(length)
        if self.path == '/reset':
            with _lock:
                _spans[0] = 0
            return self._answer(200)
        if self.path != '/v1/traces':
            return self._answer(404)
        spans = _count(payload)
        with _lock:
            _spans[0] += spans
        answer = trace_service_pb2.ExportTraceServiceResponse()
        self._answer(200, answer.SerializeToString(),
                     'application/x-protobuf')

    def do_GET(self):
        if self.path != '/count':
            return self._answer(404)
        with _lock:
            count = _spans[0]
        self._answer(200, str(count).encode())

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', int(sys.argv[1])), Handler)
    server.serve_forever()


if __name__ == '__main__':
    main()
