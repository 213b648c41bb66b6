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

"""The seed scenarios: the life of one image, with the real CLI.

Each scenario is one ``openstack`` command run under ``requestshook
record``, so each is exactly one flow (one trace) in the shared log.
"""

import dataclasses
import hashlib
import json
import os
import time
import typing

from requestshook.loopback import qcow2
from requestshook.reading import index
from requestshook.reading import source

IMAGE_NAME = 'cirros-loopback-disk'
# The commands run in the run's folder and name these files as a user would.
IMAGE_FILE = IMAGE_NAME + '.qcow2'
SAVED_FILE = IMAGE_NAME + '-saved.img'
PAYLOAD_BYTES = 1 << 20
SETTLE_TIMEOUT = 10.0


@dataclasses.dataclass
class Result(object):
    """What one scenario did."""

    name: str
    title: str
    argv: list
    trace_id: typing.Optional[str]
    status: int
    stdout: str
    stderr: str

    @property
    def command(self):
        return ' '.join(['openstack'] + self.argv)


@dataclasses.dataclass
class Run(object):
    """One pass over every scenario."""

    folder: str
    image_file: str
    saved_file: str
    image_id: typing.Optional[str] = None
    saved_sha256: typing.Optional[str] = None
    results: dict = dataclasses.field(default_factory=dict)


def sha256(path):
    with open(path, 'rb') as data:
        return hashlib.sha256(data.read()).hexdigest()


def create_argv(image_file=IMAGE_FILE, name=IMAGE_NAME):
    return ['image', 'create', '--disk-format', 'qcow2', '--file',
            image_file, '--public', '--format', 'json', name]


CREATE = ('image-create', 'openstack image create')


def followups(image_id, saved_file=SAVED_FILE):
    """``(name, title, argv)`` of the scenarios after ``image create``."""
    return [
        ('image-list', 'openstack image list', ['image', 'list', '--all']),
        ('image-show', 'openstack image show', ['image', 'show', image_id]),
        ('image-save', 'openstack image save',
         ['image', 'save', '--file', saved_file, image_id]),
        ('image-set-shared', 'openstack image set --shared',
         ['image', 'set', '--shared', image_id]),
        ('image-add-project', 'openstack image add project',
         ['image', 'add', 'project', image_id, 'demo']),
        ('image-member-list', 'openstack image member list',
         ['image', 'member', 'list', image_id]),
        ('image-delete', 'openstack image delete',
         ['image', 'delete', image_id]),
    ]


NAMES = [CREATE[0]] + [name for name, _, _ in followups('x')]


class ScenarioFailed(Exception):
    """An ``openstack`` command of a scenario failed."""


def run_command(stack, outcome, name, title, argv, record=True,
                on_result=None):
    """One scenario's command, its :class:`Result` kept in ``outcome``.

    Raises :class:`ScenarioFailed` when it fails.
    """
    done = stack.openstack(argv, record=record, cwd=outcome.folder)
    result = Result(name, title, argv, done.trace_id, done.returncode,
                    done.stdout, done.stderr)
    outcome.results[name] = result
    if on_result:
        on_result(result)
    if done.returncode or (record and not done.trace_id):
        raise ScenarioFailed('%s failed (exit %d):\n%s%s'
                             % (result.command, done.returncode,
                                done.stdout, done.stderr))
    return result


def run(stack, folder, on_result=None, record=True):
    """Run every scenario on ``stack``; files go to ``folder``.

    ``on_result(result)`` is called after each.  ``record=False`` runs the
    plain CLI (no ``requestshook record``).  Raises
    :class:`ScenarioFailed` at the first failing command.
    """
    os.makedirs(folder, exist_ok=True)
    outcome = Run(folder=folder,
                  image_file=os.path.join(folder, IMAGE_FILE),
                  saved_file=os.path.join(folder, SAVED_FILE))
    if not os.path.exists(outcome.image_file):
        qcow2.write(outcome.image_file, os.urandom(PAYLOAD_BYTES))

    def one(name, title, argv):
        return run_command(stack, outcome, name, title, argv, record,
                           on_result)

    created = one(*CREATE, argv=create_argv())
    outcome.image_id = json.loads(created.stdout)['id']
    for name, title, argv in followups(outcome.image_id):
        one(name, title, argv)
        if name == 'image-save':
            outcome.saved_sha256 = sha256(outcome.saved_file)
    return outcome


def flow_of(stack, result, timeout=SETTLE_TIMEOUT):
    """The recorded flow of ``result`` once every hop in it has ended.

    A server writes a hop's last event when its last byte has passed,
    which can be a moment after the client saw the response.
    """
    deadline = time.monotonic() + timeout
    while True:
        flow, _ = index.load_flow(source.LogSource([stack.log_file]),
                                  result.trace_id)
        pending = [hop for hop in flow.walk() if hop.final is None]
        if not pending or time.monotonic() > deadline:
            return flow
        time.sleep(0.2)
