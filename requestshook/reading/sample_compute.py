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

"""Hand-made RPC hops and the flow of ``openstack server create``.

RPC events are written as ``doc/source/capture.rst`` describes them
(``"proto": "rpc"``, method ``CALL`` or ``CAST``, url
``rpc://<exchange>/<topic>/<method>``): a call has both sides' request and
response; a cast has the sender's request only, and the receiver's
request and response, written when it dispatches the message, which may
be long after the sender went on.

:func:`server_create` plays a boot: the client's ``POST /servers`` to
nova-api, which asks glance for the image, casts ``build_instances`` to
nova-conductor and answers 202; the conductor calls nova-scheduler
(which asks placement) and casts ``build_and_run_instance`` to
nova-compute (on host ``cmp1``), which calls placement, glance and
neutron; meanwhile the client polls ``GET /servers/{id}``.
"""

import contextlib

from requestshook import event
from requestshook.reading import hop as hop_module
from requestshook.reading import sample

COMPUTE = 'http://10.0.0.11/compute'
PLACEMENT = 'http://10.0.0.11/placement'
NEUTRON = 'http://10.0.0.11:9696'
SERVER_ID = '0b9c7e0e-5d53-4a4a-9e35-6f1e24cb1b61'
PROVIDER_ID = 'e1f3b6a1-2f7c-4c8e-9a35-0d1c8f0b4e22'
REQUEST_ID = 'req-6f1e24cb-1b61-4a4a-9e35-0b9c7e0e5d53'


class Message(sample.Call):
    """An RPC message sent by :func:`cast` or :func:`call`."""

    def __init__(self, hop_id, trace, parent_id, caller, callee, url,
                 method, fanout):
        super(Message, self).__init__(hop_id, trace)
        self.parent_id = parent_id
        self.caller = caller
        self.callee = callee
        self.url = url
        self.method = method
        self.fanout = fanout


def _context_headers(user='8221f17fbf934d309ba96cf2218be3ff'):
    return [['X-Openstack-Request-Id', REQUEST_ID],
            ['X-Openstack-Global-Request-Id', REQUEST_ID],
            ['X-User-Id', user],
            ['X-Project-Id', sample.PROJECT_ID]]


def _rpc(record, message):
    record['proto'] = hop_module.PROTO_RPC
    if message.fanout:
        record['fanout'] = True
    return record


def _request(log, message, side, args):
    record = event.request_event(
        side, message.id, message.trace, message.parent_id, message.caller,
        message.callee, message.method, message.url, _context_headers(),
        sample.json_body(args if args is not None else {}), when=log.now)
    writer = message.caller if side == event.CLIENT else message.callee
    log.stamp(_rpc(record, message), writer)
    log.tick(0.4)


def _final(log, message, side, start, result=None, error=None):
    elapsed = (log.now - start) * 1000.0
    if error:
        record = event.error_event(
            side, message.id, message.trace, message.parent_id,
            message.caller, message.callee, message.method, message.url,
            error, elapsed, when=log.now)
    else:
        record = event.response_event(
            side, message.id, message.trace, message.parent_id,
            message.caller, message.callee, message.method, message.url,
            None, None, [], sample.json_body(result), elapsed, when=log.now)
        del record['status']
        del record['reason']
    writer = message.caller if side == event.CLIENT else message.callee
    log.stamp(_rpc(record, message), writer)
    log.tick(0.4)


def _message(caller, callee, topic, name, parent, kind, fanout=False,
             exchange='nova'):
    return Message(event.new_id(),
                   parent.trace if parent else event.new_id(),
                   parent.id if parent else None, caller, callee,
                   'rpc://%s/%s/%s' % (exchange, topic, name), kind, fanout)


def cast(log, caller, callee, topic, name, parent=None, args=None,
         fanout=False, sides=(event.CLIENT, event.SERVER)):
    """Write the sender's side of a cast; give the result to
    :func:`dispatch` to write the receiver's side later.
    """
    message = _message(caller, callee, topic, name, parent, hop_module.CAST,
                       fanout)
    message.sides = sides
    message.args = args
    if event.CLIENT in sides:
        _request(log, message, event.CLIENT, args)
    return message


def send_failed(log, message, error):
    """The sender's ``error`` event of a cast it could not send."""
    _final(log, message, event.CLIENT, log.now - 0.001, error=error)


@contextlib.contextmanager
def dispatch(log, message, error=None, duration_ms=None):
    """The receiver runs a cast: what it calls inside is its child."""
    if event.SERVER not in message.sides:
        yield message
        return
    start = log.now
    _request(log, message, event.SERVER, message.args)
    yield message
    log.tick(duration_ms if duration_ms is not None else 2.0)
    _final(log, message, event.SERVER, start, error=error)


@contextlib.contextmanager
def call(log, caller, callee, topic, name, parent=None, args=None,
         result=None, error=None, answered=True, duration_ms=None,
         sides=(event.CLIENT, event.SERVER)):
    """Write an RPC call's events; calls made inside are its children."""
    message = _message(caller, callee, topic, name, parent, hop_module.CALL)
    start = log.now
    for side in sides:
        _request(log, message, side, args)
    yield message
    log.tick(duration_ms if duration_ms is not None else 3.0)
    if not answered:
        return
    for side in reversed(sides):
        _final(log, message, side, start, result=result, error=error)


def server(status='BUILD'):
    return {'server': {'id': SERVER_ID, 'name': 'vm1', 'status': status,
                       'flavor': {'original_name': 'm1.tiny'},
                       'image': {'id': sample.IMAGE_ID}}}


def _instance():
    return {'nova_object.name': 'Instance', 'nova_object.namespace': 'nova',
            'nova_object.version': '2.8',
            'nova_object.data': {'uuid': SERVER_ID, 'host': None,
                                 'vm_state': 'building'}}


def server_create(log=None, poll=True):
    """``openstack server create --flavor m1.tiny --image cirros vm1``."""
    log = log or sample.LogMaker()
    root = sample.Command()
    sample.client_token(log, parent=root)
    with log.call('openstack', 'nova-api', 'POST',
                  COMPUTE + '/v2.1/servers', status=202, parent=root,
                  request_body={'server': {'name': 'vm1',
                                           'imageRef': sample.IMAGE_ID,
                                           'flavorRef': '1',
                                           'networks': 'none'}},
                  request_headers=[('X-Auth-Token', sample.TOKEN)],
                  response_body=server()) as create:
        sample.validate(log, 'nova-api', create)
        with log.call('nova-api', 'glance-api', 'GET',
                      sample.GLANCE + '/v2/images/' + sample.IMAGE_ID,
                      parent=create, response_body=sample.image('active')):
            pass
        build = cast(log, 'nova-api', 'nova-conductor', 'conductor',
                     'build_instances', parent=create,
                     args={'instances': [_instance()],
                           'image': {'id': sample.IMAGE_ID},
                           'admin_password': '***'})
    if poll:
        _poll(log, root, 'BUILD')
    with dispatch(log, build, duration_ms=5.0) as conductor:
        with call(log, 'nova-conductor', 'nova-scheduler', 'scheduler',
                  'select_destinations', parent=conductor,
                  args={'instance_uuids': [SERVER_ID]},
                  result=[[{'host': 'cmp1', 'nodename': 'cmp1'}]]) as pick:
            with log.call('nova-scheduler', 'placement-api', 'GET',
                          PLACEMENT + '/allocation_candidates'
                          '?resources=DISK_GB%3A1%2CMEMORY_MB%3A512',
                          parent=pick,
                          response_body={'allocation_requests': []}):
                pass
            with log.call('nova-scheduler', 'placement-api', 'PUT',
                          PLACEMENT + '/allocations/' + SERVER_ID,
                          status=204, parent=pick,
                          request_body={'allocations': {
                              PROVIDER_ID: {'resources': {
                                  'MEMORY_MB': 512, 'DISK_GB': 1}}}},
                          response_body=None):
                pass
        run = cast(log, 'nova-conductor', 'nova-compute', 'compute.cmp1',
                   'build_and_run_instance', parent=conductor,
                   args={'instance': _instance(), 'node': 'cmp1',
                         'admin_password': '***'})
    with dispatch(log, run, duration_ms=20.0) as compute:
        with log.call('nova-compute', 'placement-api', 'GET',
                      PLACEMENT + '/allocations/' + SERVER_ID,
                      parent=compute, response_body={'allocations': {}}):
            pass
        with log.call('nova-compute', 'glance-api', 'GET',
                      sample.GLANCE + '/v2/images/' + sample.IMAGE_ID,
                      parent=compute, response_body=sample.image('active')):
            pass
        with log.call('nova-compute', 'neutron-server', 'GET',
                      NEUTRON + '/v2.0/ports?device_id=' + SERVER_ID,
                      parent=compute, response_body={'ports': []}):
            pass
    if poll:
        _poll(log, root, 'ACTIVE')
    return log


def _poll(log, root, status):
    with log.call('openstack', 'nova-api', 'GET',
                  COMPUTE + '/v2.1/servers/' + SERVER_ID, parent=root,
                  request_headers=[('X-Auth-Token', sample.TOKEN)],
                  response_body=server(status)):
        pass
