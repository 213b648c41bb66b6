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

"""The compute scenarios: the life of one server, with the real CLI.

An image to boot from is uploaded first (not recorded); then each
scenario is one ``openstack`` command under ``requestshook record``, one
flow each.  ``server stop`` returns before the server is off: the run
waits (reading nova's database, which records nothing) before
``server start``.
"""

import dataclasses
import json
import os
import subprocess
import time
import typing

from requestshook.loopback import compute
from requestshook.loopback import debian
from requestshook.loopback import qcow2
from requestshook.loopback import scenarios

IMAGE_NAME = 'cirros-loopback-boot'
IMAGE_FILE = IMAGE_NAME + '.qcow2'
SERVER_NAME = 'loopback-server'
STATE_TIMEOUT = 60.0


@dataclasses.dataclass
class Run(object):
    """One pass over the compute scenarios."""

    folder: str
    server_name: str
    image_id: typing.Optional[str] = None
    server_id: typing.Optional[str] = None
    results: dict = dataclasses.field(default_factory=dict)


# Stands for the server's id in an argv until ``server create`` told it.
SERVER_ID = '{server_id}'


def steps(image_id, server_name=SERVER_NAME):
    """``(name, title, argv)`` of every compute scenario, in order.

    After ``server create`` the server is named by its id
    (:data:`SERVER_ID` in the argv): by name, the CLI first gets a 404
    and then lists servers to find it.
    """
    return [
        ('flavor-list', 'openstack flavor list', ['flavor', 'list']),
        ('server-create', 'openstack server create --wait',
         ['server', 'create', '--flavor', compute.FLAVOR, '--image',
          image_id, '--nic', 'none', '--wait', '--format', 'json',
          server_name]),
        ('server-show', 'openstack server show',
         ['server', 'show', SERVER_ID]),
        ('server-list', 'openstack server list', ['server', 'list']),
        ('server-stop', 'openstack server stop',
         ['server', 'stop', SERVER_ID]),
        ('server-start', 'openstack server start',
         ['server', 'start', SERVER_ID]),
        ('resource-provider-list', 'openstack resource provider list',
         ['resource', 'provider', 'list']),
        ('server-delete', 'openstack server delete --wait',
         ['server', 'delete', '--wait', SERVER_ID]),
    ]


NAMES = [name for name, _, _ in steps('x')]


def _vm_state(stack, server_id):
    sql = ("SELECT vm_state FROM nova.instances WHERE uuid = '%s'"
           % server_id.replace("'", ''))
    done = subprocess.run(
        debian.mariadb_client(stack.site.ports['mariadb'], sql) +
        ['--batch', '--skip-column-names'],
        capture_output=True, text=True)
    return done.stdout.strip()


def wait_vm_state(stack, server_id, wanted, timeout=STATE_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        state = _vm_state(stack, server_id)
        if state == wanted:
            return
        if time.monotonic() > deadline:
            raise scenarios.ScenarioFailed(
                'server %s stayed %r, not %r, for %ds'
                % (server_id, state, wanted, timeout))
        time.sleep(0.2)


def upload_image(stack, folder):
    """The image servers boot from (fake driver: never read), unrecorded."""
    path = os.path.join(folder, IMAGE_FILE)
    if not os.path.exists(path):
        qcow2.write(path, b'')
    done = stack.openstack(
        scenarios.create_argv(image_file=IMAGE_FILE, name=IMAGE_NAME),
        record=False, cwd=folder)
    if done.returncode:
        raise scenarios.ScenarioFailed('uploading the boot image failed:\n'
                                       '%s%s' % (done.stdout, done.stderr))
    return json.loads(done.stdout)['id']


def run(stack, folder, on_result=None, record=True,
        server_name=SERVER_NAME, image_id=None):
    """Every compute scenario on ``stack`` (see :func:`scenarios.run`)."""
    os.makedirs(folder, exist_ok=True)
    outcome = Run(folder=folder, server_name=server_name)
    outcome.image_id = image_id or upload_image(stack, folder)
    for name, title, argv in steps(outcome.image_id, server_name):
        argv = [outcome.server_id if arg == SERVER_ID else arg
                for arg in argv]
        result = scenarios.run_command(stack, outcome, name, title, argv,
                                       record, on_result)
        if name == 'server-create':
            outcome.server_id = json.loads(result.stdout)['id']
        elif name == 'server-stop':
            wait_vm_state(stack, outcome.server_id, 'stopped')
        elif name == 'server-start':
            wait_vm_state(stack, outcome.server_id, 'active')
    return outcome
