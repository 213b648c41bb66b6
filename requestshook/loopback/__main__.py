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

"""``python -m requestshook.loopback demo|up|down|venv``."""

import argparse
import os
import sys

from requestshook.loopback import processes
from requestshook.loopback import progress
from requestshook.loopback import scenarios
from requestshook.loopback import stack as stack_module

UP_POINTER = os.path.join(os.path.expanduser('~'), '.cache', 'requestshook',
                          'loopback-up')


def _demo(args):
    from requestshook.loopback import demo
    return demo.run(args.output, only=args.only)


def _venv(args):
    from requestshook.loopback import venv
    print(venv.ensure().path)
    return 0


def _tempest(args):
    from requestshook.loopback import tempest
    from requestshook.loopback import venv
    with stack_module.Stack(venv.ensure(),
                            with_compute=not args.without_compute) as stack:
        return tempest.run(stack, regex=args.regex,
                           concurrency=args.concurrency,
                           compute=tempest.compute_refs(stack))


def _up(args):
    from requestshook.loopback import venv
    stack = stack_module.Stack(venv.ensure(), detach=True, keep_root=True)
    stack.up()
    openrc = stack.write_openrc()
    os.makedirs(os.path.dirname(UP_POINTER), exist_ok=True)
    with open(UP_POINTER, 'w') as pointer:
        pointer.write(stack.root)
    # Detached: the services outlive this process on purpose.
    processes.forget(stack.children)
    progress.say('the stack runs; read what it recorded with: '
                 'requestshook flows --log %s' % stack.log_file)
    progress.say('stop it with: python -m requestshook.loopback down')
    print('. %s' % openrc)
    return 0


def _down(args):
    root = args.root
    if not root:
        try:
            with open(UP_POINTER) as pointer:
                root = pointer.read().strip()
        except OSError:
            progress.say('no stack was brought up (%s is missing)'
                         % UP_POINTER)
            return 1
    stack_module.down_from_state(root)
    if not args.root:
        os.unlink(UP_POINTER)
    progress.say('stopped; its files stay in %s' % root)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m requestshook.loopback',
        description='Real keystone, glance, swift, nova, placement and '
                    'neutron on 127.0.0.1 with '
                    'requestshook in place (from a cached venv, see '
                    'doc/source/functional.rst).')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    commands.required = True
    demo = commands.add_parser(
        'demo', help='bring the stack up, run the image and compute '
                     'scenarios, write one page per scenario, bring the '
                     'stack down')
    demo.add_argument('--output', default='requestshook-demo',
                      help='folder for the pages (default: %(default)s)')
    demo.add_argument('--only', choices=('image', 'compute'),
                      help='one part: image (keystone, glance, swift) or '
                           'compute (nova, placement, neutron; keystone '
                           'and glance too); default: both')
    demo.set_defaults(func=_demo)
    up = commands.add_parser(
        'up', help='bring the stack up and leave it running; prints the '
                   'openrc to source')
    up.set_defaults(func=_up)
    down = commands.add_parser('down', help='stop a stack brought up by up')
    down.add_argument('--root', help='the stack folder (default: the last '
                                     'one brought up)')
    down.set_defaults(func=_down)
    tempest = commands.add_parser(
        'tempest', help='run Tempest on the stack with recording on, then '
                        'off, and compare the results test by test')
    tempest.add_argument('--regex', help='the tests to run (default: the '
                                         'image, object-storage and '
                                         'identity API tests)')
    tempest.add_argument('--concurrency', type=int, default=2,
                         help='Tempest workers (default: %(default)s)')
    tempest.add_argument('--without-compute', action='store_true',
                         help='a stack of keystone, glance and swift only '
                              '(no compute tests)')
    tempest.set_defaults(func=_tempest)
    venv = commands.add_parser('venv', help='build the stack venv only; '
                                            'prints its path')
    venv.set_defaults(func=_venv)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    processes.stop_on_signals()
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except (stack_module.StackError, scenarios.ScenarioFailed,
            RuntimeError) as error:
        progress.say('failed: %s' % error)
        return 1


if __name__ == '__main__':
    sys.exit(main())
