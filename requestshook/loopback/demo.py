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

"""The demo: the stack up, the scenarios, one page each, the stack down.

Two parts: ``image`` (the life of one image: keystone, glance, swift) and
``compute`` (the life of one server: nova, placement, neutron, RabbitMQ).
The pages are made by ``requestshook doc`` from the shared log, as a user
would make them, one folder per scenario under one top ``index.md``; the
log itself is copied next to them.
"""

import os
import shutil
import subprocess

from requestshook.loopback import computescenarios
from requestshook.loopback import progress
from requestshook.loopback import scenarios
from requestshook.loopback import stack as stack_module
from requestshook.loopback import venv as venv_module

PAGE_FILES = ('index.md', 'diagram.md', 'body.md', 'log.md', 'flow.html',
              'flow.har')


def write_page(stack, result, folder):
    """``requestshook doc`` for one scenario's flow into ``folder``."""
    scenarios.flow_of(stack, result)
    argv = [stack.venv.bin('requestshook'), 'doc', result.trace_id,
            '--log', stack.log_file, '-o', folder, '--title', result.title,
            '--command', result.command]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   env=stack.env())
    output = result.stdout.strip()
    if output:
        with open(os.path.join(folder, 'output.txt'), 'w') as out:
            out.write(output + '\n')


PARTS = ('image', 'compute')
SECTIONS = {
    'image': ('The life of one image',
              'keystone, glance-api and swift.'),
    'compute': ('The life of one server',
                'nova-api, nova-conductor, nova-scheduler, nova-compute '
                '(fake driver), placement and neutron-server, with the RPC '
                'hops through RabbitMQ. A cast\'s work goes on after the '
                'caller\'s HTTP answer: the pages draw it inside the flow '
                'that caused it.'),
}


def write_index(output, parts):
    """The top page; ``parts`` maps a part to its results, in order."""
    lines = ['# requestshook demo', '',
             'A real OpenStack on 127.0.0.1, driven by the real `openstack` '
             'CLI, recorded by requestshook. Each command is one flow; its '
             'folder holds the pages `requestshook doc` wrote.', '']
    for part, results in parts.items():
        title, services = SECTIONS[part]
        lines += ['## %s' % title, '', services, '']
        for result in results:
            lines.append('- [%s](%s/index.md) (`%s`)'
                         % (result.title, result.name, result.command))
        lines.append('')
    with open(os.path.join(output, 'index.md'), 'w') as page:
        page.write('\n'.join(lines))


def _say_ran(result):
    progress.say('ran %s (exit %d)' % (result.command, result.status))


def run(output, only=None):
    """The whole demo (or the part ``only`` names); the exit status."""
    parts = [only] if only else list(PARTS)
    output = os.path.abspath(output)
    os.makedirs(output, exist_ok=True)
    venv = venv_module.ensure()
    done = {}
    with stack_module.Stack(venv,
                            with_compute='compute' in parts) as stack:
        files = os.path.join(stack.root, 'files')
        if 'image' in parts:
            done['image'] = scenarios.run(stack, os.path.join(files, 'image'),
                                          on_result=_say_ran)
        if 'compute' in parts:
            done['compute'] = computescenarios.run(
                stack, os.path.join(files, 'compute'), on_result=_say_ran)
        for part in parts:
            for result in done[part].results.values():
                folder = os.path.join(output, result.name)
                progress.say('writing %s' % folder)
                shutil.rmtree(folder, ignore_errors=True)
                write_page(stack, result, folder)
        write_index(output, {part: list(done[part].results.values())
                             for part in parts})
        shutil.copyfile(stack.log_file,
                        os.path.join(output, 'requestshook.log'))
    progress.say('done: %s (one folder per scenario: %s)'
                 % (output, ', '.join(PAGE_FILES)))
    print(os.path.join(output, 'index.md'))
    return 0
