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

"""The ``requestshook`` command: one subcommand module per concern.

Each module named in ``SUBCOMMANDS`` defines ``register(subparsers)``,
which adds its parser(s) and sets ``func`` (called with the parsed
arguments, returning the exit status).
"""

import argparse
import importlib
import sys

SUBCOMMANDS = (
    'requestshook.cmd.read',     # flows diagram markdown log har html doc
                                 # tail merge
    'requestshook.cmd.paste',    # paste insert|remove|show
    'requestshook.cmd.record',   # record -- COMMAND...
    'requestshook.cmd.serve',    # serve: the live web view
)

DESCRIPTION = """\
requestshook records every HTTP call and RPC message that crosses an
OpenStack service boundary into one shared log
(/var/log/requestshook/requestshook.log) and turns that log into sequence
diagrams and per-step pages.

Capture: add the `requestshook` paste filter to a service's api-paste.ini
(`requestshook paste insert`), or run a command under the hook
(`requestshook record -- openstack image list`).
Read: `requestshook flows` lists the recorded flows; `diagram`, `markdown`,
`log`, `har`, `html` and `doc` render one of them; `serve` shows them live
in a browser; `merge` makes one log of logs copied from several hosts.
"""


# C0 controls but tab and newline, DEL and C1 controls: what any client
# put in a query, a body or a header must not drive the reader's terminal
# (retitle it, clear it, fake lines).
_CONTROLS = {code: '\\x%02x' % code for code in
             list(range(0x20)) + [0x7f] + list(range(0x80, 0xa0))
             if code not in (0x09, 0x0a)}


class TerminalOutput(object):
    """A terminal's stream that shows control characters as ``\\xNN``."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        return self._stream.write(text.translate(_CONTROLS))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def build_parser():
    parser = argparse.ArgumentParser(
        prog='requestshook', description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND')
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # argparse stops filling FILE... at the first option after FLOW:
        # `diagram 1 --variables a.log` still means the log a.log.
        if hasattr(args, 'files') and not any(
                item.startswith('-') and item != '-' for item in extra):
            args.files = list(args.files or []) + extra
        else:
            parser.error('unrecognized arguments: %s' % ' '.join(extra))
    if not getattr(args, 'func', None):
        parser.print_help()
        return 2
    stdout = sys.stdout
    if stdout.isatty():
        sys.stdout = TerminalOutput(stdout)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    finally:
        sys.stdout = stdout


if __name__ == '__main__':
    sys.exit(main())
