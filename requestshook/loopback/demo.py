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

"""The demo: the stack up, the seed scenarios, one page each, the stack down.

The pages are made by ``requestshook doc`` from the shared log, as a user
would make them; the log itself is copied next to them.
"""

import os
import shutil
import subprocess

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


def write_index(output, results):
    lines = ['# requestshook demo: the life of one image', '',
             'Real keystone, glance-api and swift on 127.0.0.1, driven by '
             'the real `openstack` CLI, recorded by requestshook.', '']
    for result in results:
        lines.append('- [%s](%s/index.md) (`%s`)'
                     % (result.title, result.name, result.command))
    with open(os.path.join(output, 'index.md'), 'w') as page:
        page.write('\n'.join(lines) + '\n')


def run(output):
    """The whole demo; returns the exit status."""
    output = os.path.abspath(output)
    os.makedirs(output, exist_ok=True)
    venv = venv_module.ensure()
    with stack_module.Stack(venv) as stack:
        scenarios_folder = os.path.join(stack.root, 'files')
        done = scenarios.run(
            stack, scenarios_folder,
            on_result=lambda r: progress.say('ran %s (exit %d)'
                                             % (r.command, r.status)))
        for result in done.results.values():
            folder = os.path.join(output, result.name)
            progress.say('writing %s' % folder)
            shutil.rmtree(folder, ignore_errors=True)
            write_page(stack, result, folder)
        write_index(output, done.results.values())
        shutil.copyfile(stack.log_file,
                        os.path.join(output, 'requestshook.log'))
    progress.say('done: %s (one folder per scenario: %s)'
                 % (output, ', '.join(PAGE_FILES)))
    print(os.path.join(output, 'index.md'))
    return 0
