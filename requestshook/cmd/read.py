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

"""``requestshook flows|diagram|markdown|log|har|html|doc|tail|merge``.

The reading side of the command line: the parsers of the reader
subcommands, their options and help texts.  What each one does is in
:mod:`requestshook.cmd.read_commands` (``merge``: in
:mod:`requestshook.cmd.read_merge`): it reads the shared log (or the
files given, ``-`` for stdin, gzip-compressed rotated logs too) and never
imports the capture side.
"""

import argparse

from requestshook.cmd import read_commands
from requestshook.cmd import read_help
from requestshook.cmd import read_merge
from requestshook.reading import source as source_module

FLOW_HELP = ("which flow: `last` (the default: the flow that started "
             "last), an index from `requestshook flows` (3), several drawn "
             "as one (1-3 or 1,4), or a trace id or a unique prefix of one")
LOG_HELP = ("a log to read (repeat for several hosts' logs: they are "
            "merged by time; `-` reads stdin; .gz rotated logs are fine). "
            "Default: $REQUESTSHOOK_LOG_FILE, else log_file of "
            "$REQUESTSHOOK_CONFIG or /etc/requestshook/requestshook.conf, "
            "else %s; when that does not exist but `requestshook record`'s "
            "per-user log (~/.local/state/requestshook/requestshook.log) "
            "does, that one" % source_module.DEFAULT_LOG)
SOURCE_HELP = ("read the events from the Redis stream the redis sink "
               "writes instead of log files: redis://[:PASSWORD@]HOST:PORT"
               "/DB (also rediss://, unix://, redis+sentinel://, "
               "redis+cluster://), ?stream=NAME when it is not "
               "requestshook")


def _common(parser):
    parser.add_argument('--log', action='append', default=[],
                        metavar='PATH', dest='logs', help=LOG_HELP)
    parser.add_argument('--source', metavar='URL', help=SOURCE_HELP)
    parser.add_argument('--progress', action='store_true',
                        help='show how much of the log was read, on '
                        'stderr (shown anyway when stderr is a terminal)')


def _flow_arguments(parser):
    parser.add_argument('flow', nargs='?', default='last', metavar='FLOW',
                        help=FLOW_HELP)
    parser.add_argument('files', nargs='*', metavar='FILE',
                        help='logs to read, as with --log')
    _common(parser)
    parser.add_argument('--alias', action='append', default=[],
                        metavar='NAME=LABEL',
                        help='show service NAME as LABEL (default: '
                        'openstack=openstack-client); repeatable')
    parser.add_argument('--no-placeholders', action='store_true',
                        help='keep the ids in paths as they are')
    parser.add_argument('--no-opt', action='store_true',
                        help="do not fold a service's own token fetch "
                        "into an `opt` block")


def _output(parser, required=False, metavar='FILE'):
    parser.add_argument('-o', '--output', required=required,
                        metavar=metavar, default=None if required else '-',
                        help='where to write (default: stdout)'
                        if not required else 'where to write')


def register(subparsers):
    formatter = argparse.RawDescriptionHelpFormatter

    flows = subparsers.add_parser(
        'flows', help='list the recorded flows',
        epilog=read_help.FLOWS_EPILOG, formatter_class=formatter,
        description='List the flows (traces) in the log, oldest first.')
    flows.add_argument('files', nargs='*', metavar='FILE',
                       help='logs to read, as with --log')
    _common(flows)
    flows.add_argument('--since', metavar='WHEN',
                       help='only flows started since WHEN: a UTC time '
                       '(2026-11-23T10:15, 2026-11-23 10:15:02) or an age '
                       '(30s, 10m, 2h, 1d)')
    flows.add_argument('--service', metavar='NAME',
                       help='only flows that crossed service NAME')
    flows.add_argument('--grep', metavar='TEXT',
                       help='only flows with TEXT somewhere in their '
                       'events (an image id, a request id); '
                       'case-insensitive')
    flows.add_argument('--json', action='store_true',
                       help='one JSON object per flow, for scripts')
    flows.set_defaults(func=read_commands.cmd_flows)

    diagram = subparsers.add_parser(
        'diagram', help='a flow as a mermaid sequence diagram',
        epilog=read_help.DIAGRAM_EPILOG, formatter_class=formatter,
        description='Print a flow as a mermaid sequenceDiagram.')
    _flow_arguments(diagram)
    diagram.add_argument('--variables', action='store_true',
                         help='also print the table placeholder -> value')
    _output(diagram)
    diagram.set_defaults(func=read_commands.cmd_diagram)

    helps = {'markdown': 'a flow as per-step markdown sections',
             'log': 'a flow as the readable full log',
             'har': 'a flow as HAR 1.2, for browser dev tools',
             'html': 'a flow as one self-contained HTML page'}
    funcs = {'markdown': read_commands.cmd_markdown,
             'log': read_commands.cmd_log, 'har': read_commands.cmd_har,
             'html': read_commands.cmd_html}
    for name in ('markdown', 'log', 'har', 'html'):
        sub = subparsers.add_parser(name, help=helps[name],
                                    epilog=read_help.EPILOGS[name],
                                    formatter_class=formatter,
                                    description=helps[name].capitalize()
                                    + '.')
        _flow_arguments(sub)
        _output(sub)
        if name == 'html':
            sub.add_argument('--title', help='the page title')
        sub.set_defaults(func=funcs[name])

    doc = subparsers.add_parser(
        'doc', help="a flow as the seeds' documentation page",
        epilog=read_help.EPILOGS['doc'], formatter_class=formatter,
        description='Write the documentation page of a flow into a folder.')
    _flow_arguments(doc)
    _output(doc, required=True, metavar='DIR')
    doc.add_argument('--title', help='the page title (default: the '
                     'command, else the flow\'s first call)')
    doc.add_argument('--command', metavar='COMMAND',
                     help='the command that made the flow, shown on the '
                     'page (e.g. "openstack image list")')
    doc.set_defaults(func=read_commands.cmd_doc)

    tail = subparsers.add_parser(
        'tail', help='one line per call, as calls end',
        epilog=read_help.TAIL_EPILOG, formatter_class=formatter,
        description='Show the latest calls, one line each.')
    tail.add_argument('files', nargs='*', metavar='FILE',
                      help='logs to read, as with --log')
    _common(tail)
    tail.add_argument('-f', '--follow', action='store_true',
                      help='keep going: print calls as they end')
    tail.add_argument('-n', '--lines', type=int, default=10, metavar='N',
                      help='how many recent calls to show first '
                      '(default 10)')
    tail.set_defaults(func=read_commands.cmd_tail)

    read_merge.register(subparsers)
