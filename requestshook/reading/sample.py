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

"""Hand-made logs that look like real ones, for tests, docs and benchmarks.

:class:`LogMaker` writes events with :mod:`requestshook.event` as the
capture side would: the caller's ``client`` request, the callee's
``server`` request, the calls made while serving it, then the server's
and the client's response.  :func:`image_create` plays the seed's
``openstack image create`` (client -> keystone, client -> glance-api,
glance-api -> keystone and swift-proxy-server, swift -> keystone).
"""

import contextlib
import http
import json

from requestshook import event

IMAGE_ID = 'a42bfade-78ec-4c95-b7b4-272ba265072c'
PROJECT_ID = '7c4cda7e4807414bbdfcb22b535a9802'
ACCOUNT = 'AUTH_' + PROJECT_ID
KEYSTONE = 'http://10.0.0.11/identity'
GLANCE = 'http://10.0.0.11/image'
SWIFT = 'http://10.0.0.11:8080'
TOKEN = '{SHA256}5cf1b1c1b1a1e3c0'
SERVICE_TOKEN = '{SHA256}0b7f1a9d3e27c6aa'
USER_AGENT = ('openstacksdk/4.22.0 keystoneauth1/5.11.0 '
              'python-requests/2.32.3 CPython/3.11.7')

HOSTS = {'openstack': ('laptop', 5150), 'glance-api': ('ctl1', 4242),
         'keystone': ('ctl1', 4100), 'swift-proxy-server': ('ctl1', 4300),
         'nova-api': ('ctl1', 4400), 'nova-conductor': ('ctl1', 4500),
         'nova-scheduler': ('ctl1', 4600), 'placement-api': ('ctl1', 4700),
         'neutron-server': ('ctl1', 4800), 'nova-compute': ('cmp1', 5200)}


class Call(object):
    """A call written by :meth:`LogMaker.call`: give it as ``parent``."""

    def __init__(self, hop_id, trace):
        self.id = hop_id
        self.trace = trace


class Command(Call):
    """A client command's trace: its calls share it, with no parent."""

    def __init__(self, trace=None):
        super(Command, self).__init__(None, trace or event.new_id())


def _as_body(value, content_type):
    """A body record from a record, a JSON value, text or bytes."""
    if value is None:
        return event.body_record(b'', 0)
    if isinstance(value, dict) and 'kind' in value and 'size' in value:
        return value
    if isinstance(value, (dict, list)):
        raw = json.dumps(value).encode('utf-8')
        return event.body_record(raw, len(raw), 'application/json')
    raw = value if isinstance(value, bytes) else value.encode('utf-8')
    return event.body_record(raw, len(raw), content_type)


def json_body(value):
    """A JSON body record of ``value`` (an empty one for ``None``)."""
    return _as_body(value, 'application/json')


class LogMaker(object):
    """Builds a list of events with a clock that moves as calls happen."""

    def __init__(self, start=1700000000.0, hosts=None):
        self.now = start
        self.events = []
        self.hosts = dict(HOSTS, **(hosts or {}))

    def tick(self, ms=1.0):
        self.now += ms / 1000.0

    def stamp(self, record, writer):
        """Give ``record`` the host and pid of ``writer``; keep it."""
        host, pid = self.hosts.get(writer, ('host-' + writer, 1000))
        record['host'] = host
        record['pid'] = pid
        self.events.append(record)
        return record

    @contextlib.contextmanager
    def call(self, caller, callee, method, url, status=200, reason=None,
             parent=None, trace=None, request_body=None, response_body=None,
             request_type='application/json',
             response_type='application/json', request_headers=None,
             response_headers=None, sides=(event.CLIENT, event.SERVER),
             error=None, answered=True, streamed_request=False,
             duration_ms=None):
        """Write one hop's events; calls made inside it are its children.

        ``parent`` is the :class:`Call` being served (its trace is kept),
        or a :class:`Command`;
        ``sides`` which hooks saw the call; ``error`` makes the hop fail,
        ``answered=False`` leaves it without a response.
        """
        hop = Call(event.new_id(),
                   trace or (parent.trace if parent else event.new_id()))
        parent_id = parent.id if parent else None
        req_body = _as_body(request_body, request_type)
        headers = [['Host', url.split('/')[2]], ['User-Agent', USER_AGENT],
                   ['Accept', 'application/json']]
        if req_body['size']:
            headers.append(['Content-Type', request_type])
            headers.append(['Content-Length', str(req_body['size'])])
        headers += [list(h) for h in (request_headers or [])]
        protocol = [[event.HEADER_REQUEST_ID, hop.id],
                    [event.HEADER_REQUEST_FROM, caller],
                    [event.HEADER_TRACE_ID, hop.trace]]
        if parent_id:
            protocol.append([event.HEADER_PARENT_ID, parent_id])
        start = self.now
        in_request_event = None if streamed_request else req_body
        for side in sides:
            writer = caller if side == event.CLIENT else callee
            sent = headers + protocol if side == event.SERVER else headers
            self.stamp(event.request_event(
                side, hop.id, hop.trace, parent_id, caller, callee, method,
                url, sent, in_request_event, when=self.now), writer)
            self.tick(0.4)
        yield hop
        self.tick(duration_ms if duration_ms is not None else 3.0)
        if not answered:
            return
        resp_body = _as_body(response_body, response_type)
        resp_headers = [['Content-Type', response_type],
                        ['Content-Length', str(resp_body['size'])],
                        ['X-Openstack-Request-Id',
                         'req-' + hop.id[:8] + '-0000-4000-8000-' +
                         hop.id[20:32]]]
        resp_headers += [list(h) for h in (response_headers or [])]
        echoed = [[event.HEADER_REQUEST_ID, hop.id],
                  [event.HEADER_REQUEST_FROM, caller]]
        streamed = req_body if streamed_request else None
        for side in reversed(sides):
            writer = caller if side == event.CLIENT else callee
            elapsed = (self.now - start) * 1000.0
            if error:
                record = event.error_event(
                    side, hop.id, hop.trace, parent_id, caller, callee,
                    method, url, error, elapsed, request_body=streamed,
                    when=self.now)
            else:
                record = event.response_event(
                    side, hop.id, hop.trace, parent_id, caller, callee,
                    method, url, status, reason or _reason(status),
                    resp_headers + echoed, resp_body, elapsed,
                    request_body=streamed, when=self.now)
            self.stamp(record, writer)
            self.tick(0.4)

    def lines(self):
        return b''.join(event.encode(record) for record in self.events)

    def write(self, path, mode='wb'):
        with open(path, mode) as stream:
            stream.write(self.lines())
        return path


def shift_clock(events, host, seconds):
    """Copies of ``events`` with the clock of ``host`` moved by ``seconds``.

    Plays a host whose clock is off, to check that readers order a flow
    by causality rather than by wall clocks.
    """
    shifted = []
    for record in events:
        record = dict(record)
        if record.get('host') == host and record.get('ts'):
            record['ts'] = event.timestamp(
                event.parse_timestamp(record['ts']) + seconds)
        shifted.append(record)
    return shifted


def _reason(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ''


def versions(url):
    return {'versions': {'values': [{
        'id': 'v3.14', 'status': 'stable',
        'links': [{'rel': 'self', 'href': url + '/v3/'}]}]}}


def token(project_id=PROJECT_ID, user='admin'):
    return {'token': {
        'methods': ['password'],
        'user': {'domain': {'id': 'default', 'name': 'Default'},
                 'id': '8221f17fbf934d309ba96cf2218be3ff', 'name': user},
        'project': {'domain': {'id': 'default', 'name': 'Default'},
                    'id': project_id, 'name': 'admin'},
        'roles': [{'id': '89efad03325b4fb9a021bd88e534bbad',
                   'name': 'admin'}],
        'catalog': [
            {'type': 'identity', 'name': 'keystone',
             'endpoints': [{'interface': 'public', 'url': KEYSTONE}]},
            {'type': 'image', 'name': 'glance',
             'endpoints': [{'interface': 'public', 'url': GLANCE}]},
            {'type': 'object-store', 'name': 'swift',
             'endpoints': [{'interface': 'public',
                            'url': SWIFT + '/v1/' + ACCOUNT}]}],
        'expires_at': '2023-11-14T23:13:20.000000Z'}}


def password_auth(user='admin'):
    return {'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'name': user, 'domain': {'id': 'default'},
                 'password': '***'}}},
        'scope': {'project': {'name': 'admin',
                              'domain': {'id': 'default'}}}}}


def image(status='queued', image_id=IMAGE_ID):
    return {'id': image_id, 'name': 'cirros-0.6.1-x86_64-disk',
            'status': status, 'disk_format': 'qcow2',
            'container_format': 'bare', 'visibility': 'public',
            'owner': PROJECT_ID, 'self': '/v2/images/' + image_id,
            'file': '/v2/images/%s/file' % image_id,
            'schema': '/v2/schemas/image'}


QCOW2_HEAD = (b'QFI\xfb\x00\x00\x00\x03' + b'\x00' * 8 +
              b'\x00\x00\x00\x00\x00\x00\x00\x10' + b'\x00' * 40)


def image_body(size=21233664, keep=64):
    """A binary image upload kept as its first ``keep`` bytes."""
    head = (QCOW2_HEAD * (keep // len(QCOW2_HEAD) + 1))[:keep]
    return event.body_record(head, size, 'application/octet-stream')


def client_token(log, caller='openstack', parent=None):
    """Discovery and ``POST /v3/auth/tokens`` (the seed's steps 1-4)."""
    with log.call(caller, 'keystone', 'GET', KEYSTONE, status=300,
                  parent=parent, response_body=versions(KEYSTONE)):
        pass
    with log.call(caller, 'keystone', 'POST', KEYSTONE + '/v3/auth/tokens',
                  status=201, parent=parent, request_body=password_auth(),
                  response_body=token(),
                  response_headers=[('X-Subject-Token', TOKEN)]):
        pass


def validate(log, caller, parent):
    with log.call(caller, 'keystone', 'GET', KEYSTONE + '/v3/auth/tokens',
                  parent=parent, response_body=token(),
                  request_headers=[('X-Auth-Token', SERVICE_TOKEN),
                                   ('X-Subject-Token', TOKEN)],
                  response_headers=[('X-Subject-Token', TOKEN)]):
        pass


def image_create(log=None, size=21233664, service_token=True):
    """The seed 002 flow: ``openstack image create --file ...``."""
    log = log or LogMaker()
    root = Command()
    client_token(log, parent=root)
    with log.call('openstack', 'glance-api', 'POST', GLANCE + '/v2/images',
                  status=201, parent=root,
                  request_body={'name': 'cirros-0.6.1-x86_64-disk',
                                'disk_format': 'qcow2',
                                'container_format': 'bare',
                                'visibility': 'public'},
                  request_headers=[('X-Auth-Token', TOKEN)],
                  response_body=image()) as create:
        if service_token:
            client_token(log, caller='glance-api', parent=create)
        validate(log, 'glance-api', create)
    with log.call('openstack', 'glance-api', 'PUT',
                  GLANCE + '/v2/images/%s/file' % IMAGE_ID, status=204,
                  parent=root, request_body=image_body(size),
                  request_type='application/octet-stream',
                  request_headers=[('X-Auth-Token', TOKEN)],
                  streamed_request=True, response_body=None,
                  response_type='text/html; charset=UTF-8',
                  duration_ms=900.0) as upload:
        with log.call('glance-api', 'keystone', 'POST',
                      KEYSTONE + '/v3/auth/tokens', status=201,
                      parent=upload, request_body=password_auth('glance'),
                      response_body=token(user='glance'),
                      response_headers=[('X-Subject-Token',
                                         SERVICE_TOKEN)]):
            pass
        container = '%s/v1/%s/glance' % (SWIFT, ACCOUNT)
        with log.call('glance-api', 'swift-proxy-server', 'HEAD', container,
                      status=204, parent=upload, response_body=None,
                      request_headers=[('X-Auth-Token', SERVICE_TOKEN)],
                      response_type='text/plain; charset=utf-8') as head:
            validate(log, 'swift-proxy-server', head)
        with log.call('glance-api', 'swift-proxy-server', 'PUT',
                      container + '/' + IMAGE_ID, status=201,
                      parent=upload, request_body=image_body(size),
                      request_type='application/octet-stream',
                      streamed_request=True,
                      request_headers=[('X-Auth-Token', SERVICE_TOKEN)],
                      response_type='text/html; charset=UTF-8',
                      duration_ms=700.0):
            pass
    return log


def image_list(log=None):
    """The seed 001 flow: ``openstack image list``."""
    log = log or LogMaker()
    root = Command()
    client_token(log, parent=root)
    with log.call('openstack', 'glance-api', 'GET', GLANCE + '/v2/images',
                  parent=root, request_headers=[('X-Auth-Token', TOKEN)],
                  response_body={'images': [image('active')],
                                 'first': '/v2/images',
                                 'schema': '/v2/schemas/images'}) as hop:
        validate(log, 'glance-api', hop)
    return log
