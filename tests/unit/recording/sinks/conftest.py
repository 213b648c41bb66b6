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


"""Real servers for the sink tests: redis-server (Debian) and OTLP/HTTP.

Each binds 127.0.0.1 on a free port and is stopped by its fixture.
"""

import http.server
import shutil
import socket
import subprocess
import threading
import time

import pytest

REDIS_SERVER = shutil.which('redis-server')


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class RedisServer(object):
    """One redis-server process; start() and stop() as often as wanted."""

    def __init__(self, folder, port=None, password=None, extra=()):
        self.folder = folder
        self.port = port or free_port()
        self.password = password
        self.extra = list(extra)
        self.process = None

    @property
    def url(self):
        auth = ':%s@' % self.password if self.password else ''
        return 'redis://%s127.0.0.1:%d/0' % (auth, self.port)

    def start(self):
        command = [REDIS_SERVER, '--port', str(self.port), '--bind',
                   '127.0.0.1', '--save', '', '--appendonly', 'no',
                   '--dir', str(self.folder)] + self.extra
        if self.password:
            command += ['--requirepass', self.password]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(('127.0.0.1', self.port), 1):
                    return self
            except OSError:
                if self.process.poll() is not None or \
                        time.monotonic() > deadline:
                    raise AssertionError('redis-server did not start')
                time.sleep(0.05)

    def client(self):
        import redis
        return redis.Redis(host='127.0.0.1', port=self.port,
                           password=self.password)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture
def redis_server(tmp_path):
    if REDIS_SERVER is None:
        pytest.skip('redis-server is not installed (apt-get install '
                    'redis-server)')
    pytest.importorskip('redis')
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


class OtlpCollector(object):
    """An OTLP/HTTP traces endpoint decoding with opentelemetry-proto."""

    def __init__(self, status=200):
        from opentelemetry.proto.collector.trace.v1 import \
            trace_service_pb2
        self.requests = []
        self.status = status
        self.content_types = []
        self.headers = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                data = self.rfile.read(length)
                collector.content_types.append(
                    self.headers.get('Content-Type'))
                collector.headers.append(dict(self.headers))
                if collector.status == 200:
                    message = trace_service_pb2.ExportTraceServiceRequest()
                    message.ParseFromString(data)
                    collector.requests.append((self.path, message))
                self.send_response(collector.status)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.port = self.server.server_address[1]
        self.endpoint = 'http://127.0.0.1:%d/v1/traces' % self.port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def spans(self):
        """``(resource attributes, span)`` of every span received."""
        found = []
        for _path, message in self.requests:
            for resource_spans in message.resource_spans:
                resource = attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        found.append((resource, span))
        return found

    def wait_spans(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.spans()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.spans()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def value_of(any_value):
    kind = any_value.WhichOneof('value')
    if kind == 'array_value':
        return [value_of(item) for item in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


def attributes(key_values):
    return {item.key: value_of(item.value) for item in key_values}


@pytest.fixture
def collector():
    pytest.importorskip('opentelemetry.proto')
    server = OtlpCollector()
    try:
        yield server
    finally:
        server.stop()
