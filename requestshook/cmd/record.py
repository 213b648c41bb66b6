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

"""``requestshook record [--name NAME] [--log F] [--doc DIR] -- COMMAND``.

Runs a command with the outbound hook on in every Python it starts
(``REQUESTSHOOK_ENABLE``, plus this package's ``boot`` folder on
``PYTHONPATH`` for environments without ``requestshook.pth``), all its
calls in one new trace (``REQUESTSHOOK_TRACE_ID``), then tells where the
flow is.  The command's exit status is passed through.
"""

import argparse
import os
import re
import signal
import subprocess
import sys

from requestshook.capture import boot
from requestshook import event
from requestshook.reading import logpath
from requestshook.capture import startup

EPILOG = """\
examples:
  requestshook record -- openstack image list
  requestshook record --doc ./image-create -- openstack image create \\
      --file cirros.img --disk-format qcow2 cirros
  requestshook record --log ./rh.log -- python client.py

The command's calls are recorded as coming from NAME (default: the
command's name, e.g. `openstack`) and form one flow, whose trace id is
printed at the end with the commands that show it.  The configured log
(/etc/requestshook/requestshook.conf, log_file) is used when it is
writable, else ~/.local/state/requestshook/requestshook.log.
"""

TRACE_ENV = 'REQUESTSHOOK_TRACE_ID'


def register(subparsers):
    parser = subparsers.add_parser(
        'record', help='run a command with its HTTP calls recorded',
        description='Run COMMAND with every python-requests call it makes '
                    'recorded as one flow.',
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--name', metavar='NAME',
                        help='the caller name recorded (default: the '
                             "command's name)")
    parser.add_argument('--log', metavar='FILE',
                        help='write the events to FILE instead of the '
                             'configured log')
    parser.add_argument('--config', metavar='FILE',
                        help='requestshook configuration file (default: '
                             '$REQUESTSHOOK_CONFIG or '
                             '/etc/requestshook/requestshook.conf)')
    parser.add_argument('--trace-id', metavar='ID',
                        help='join this trace (default: an inherited '
                             '$REQUESTSHOOK_TRACE_ID, else a new one)')
    parser.add_argument('--doc', metavar='DIR',
                        help="also write the flow's documentation page "
                             'into DIR')
    parser.add_argument('command', nargs=argparse.REMAINDER,
                        metavar='-- COMMAND',
                        help='the command and its arguments')
    parser.set_defaults(func=cmd_record)


def caller_name(command):
    """``openstack`` for ``/usr/bin/openstack image list``."""
    base = os.path.basename(command[0].rstrip('/'))
    base = re.sub(r'\.py$', '', base)
    if re.match(r'^python[0-9.]*$', base):
        return 'python'
    return base or 'python'


def writable(path):
    """Whether this user can append to ``path`` (or create it)."""
    if os.path.exists(path):
        return os.access(path, os.W_OK)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(folder):
        return os.access(folder, os.W_OK | os.X_OK)
    parent = os.path.dirname(folder)
    return os.path.isdir(parent) and os.access(parent, os.W_OK | os.X_OK)


def choose_log_file(args, environ=None):
    """``(path, reason)``: where the command's events go, and why."""
    environ = os.environ if environ is None else environ
    if args.log:
        return os.path.abspath(args.log), None
    if environ.get(startup.LOG_FILE_ENV):
        return environ[startup.LOG_FILE_ENV], None
    configured = logpath.configured_log_file(args.config, environ)
    if writable(configured):
        return configured, None
    return (logpath.state_log_file(environ),
            '%s is not writable for this user' % configured)


def command_environment(name, trace, log_file, config_file=None,
                        environ=None):
    """The environment the command runs in."""
    env = dict(os.environ if environ is None else environ)
    env[startup.ENABLE_ENV] = name
    env[TRACE_ENV] = trace
    env[startup.LOG_FILE_ENV] = log_file
    if config_file:
        env[startup.CONFIG_ENV] = os.path.abspath(config_file)
    python_path = [entry for entry in
                   env.get('PYTHONPATH', '').split(os.pathsep)
                   if entry and entry != boot.PATH]
    env['PYTHONPATH'] = os.pathsep.join([boot.PATH] + python_path)
    return env


def run(command, env):
    """Run the command; its exit status (128 + N when killed by N)."""
    try:
        process = subprocess.Popen(command, env=env)
    except OSError as error:
        sys.stderr.write('requestshook record: %s: %s\n'
                         % (command[0], error.strerror or error))
        return 127
    # The terminal's Ctrl-C reaches the command; let it decide.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        status = process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    return 128 - status if status < 0 else status


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def calls_in_trace(path, trace, offset=0):
    """How many calls of ``trace`` the log holds past ``offset``."""
    hops = set()
    try:
        with open(path, 'rb') as stream:
            if offset <= os.fstat(stream.fileno()).st_size:
                stream.seek(offset)
            needle = trace.encode('ascii')
            for line in stream:
                if needle not in line:
                    continue
                try:
                    found = event.decode(line)
                except ValueError:
                    continue
                if found.get('trace') == trace:
                    hops.add(found.get('id'))
    except OSError:
        return 0
    return len(hops)


def write_doc(trace, log_file, folder, command):
    """The reader's ``doc`` for this flow; its exit status."""
    from requestshook.cmd import main
    return main.main(['doc', trace, '--log', log_file, '--output', folder,
                      '--command', ' '.join(command)])


def cmd_record(args):
    command = list(args.command)
    if command and command[0] == '--':
        command = command[1:]
    if not command:
        sys.stderr.write('requestshook record: no command given '
                         '(requestshook record -- COMMAND...)\n')
        return 2
    name = args.name or caller_name(command)
    trace = (args.trace_id or os.environ.get(TRACE_ENV, '').strip()
             or event.new_id())
    log_file, reason = choose_log_file(args)
    if reason:
        sys.stderr.write('requestshook record: %s; recording into %s\n'
                         % (reason, log_file))
    env = command_environment(name, trace, log_file, args.config)
    start = log_size(log_file)
    status = run(command, env)
    calls = calls_in_trace(log_file, trace, start)
    log_option = ('' if log_file == logpath.DEFAULT_LOG
                  else ' --log %s' % log_file)
    say = sys.stderr.write
    say('\nrequestshook: trace %s: %d call%s recorded as %s (exit status '
        '%d)\n' % (trace, calls, '' if calls == 1 else 's', name, status))
    say('requestshook: log: %s\n' % log_file)
    if not calls:
        say('requestshook: nothing recorded: does the command make its '
            'calls with python-requests, from a Python where requestshook '
            'is installed?\n')
        return status
    say('requestshook: see it: requestshook diagram %s%s\n'
        % (trace, log_option))
    say('                      requestshook markdown %s%s\n'
        % (trace, log_option))
    if args.doc:
        doc_status = write_doc(trace, log_file, args.doc, command)
        if doc_status:
            say('requestshook: writing the pages into %s failed\n'
                % args.doc)
        else:
            say('requestshook: pages written into %s\n' % args.doc)
        if not status:
            status = doc_status
    return status
