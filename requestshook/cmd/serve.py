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

"""``requestshook serve``: watch the flows live in a browser."""

import argparse
import os
import sys

from requestshook.reading import logpath
from requestshook.reading import source as source_module
from requestshook.serve import access as access_module
from requestshook.serve import app
from requestshook.serve import catalog as catalog_module
from requestshook.serve import feeds

TOKEN_ENV = 'REQUESTSHOOK_SERVE_TOKEN'
LOG_HELP = ("a log to serve (repeat for several hosts' logs; .gz rotated "
            "logs are read once). Default, as for the other readers: "
            "$REQUESTSHOOK_LOG_FILE, else log_file of $REQUESTSHOOK_CONFIG "
            "or /etc/requestshook/requestshook.conf, else %s, else "
            "`requestshook record`'s per-user log" % logpath.DEFAULT_LOG)

EPILOG = """\
examples:
  requestshook serve           # prints http://127.0.0.1:8765/?token=...
  requestshook serve --log /var/log/requestshook/requestshook.log.1
  requestshook serve --bind 0.0.0.0:8765
  requestshook serve --no-token # only on a single-user machine

The page lists the flows, newest first, as they arrive; click one for its
sequence diagram, and an arrow for its request and response.  Search by
service, path, status, trace id, or paste an x-openstack-request-id from
a service's log to jump to its flow.  Each flow downloads as HAR and as
the markdown page `requestshook doc` writes.

The log holds request and response bodies, and every local user can
reach 127.0.0.1: the server asks for a token on every address, loopback
too (--token or $REQUESTSHOOK_SERVE_TOKEN, 16 characters or more; else
one made for the run and printed in the address to open, as Jupyter
does).  Open that address once: the token moves to a cookie.  Scripts
send "Authorization: Bearer TOKEN".  --no-token serves without one, on a
loopback address only: only on a single-user machine.  The server binds
127.0.0.1 unless told otherwise, reads the log with your permissions
and writes nothing.
"""


def register(subparsers):
    parser = subparsers.add_parser(
        'serve', help='watch the flows live in a browser', epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Serve a live web view of the flows in the log.')
    parser.add_argument('files', nargs='*', metavar='FILE',
                        help='logs to serve, as with --log')
    parser.add_argument('--log', action='append', default=[],
                        metavar='PATH', dest='logs', help=LOG_HELP)
    parser.add_argument('--source', metavar='URL',
                        help='read the events from a Redis stream '
                        '(redis://host:port/db) instead of log files')
    parser.add_argument('--bind', metavar='HOST:PORT',
                        default='%s:%d' % (access_module.DEFAULT_HOST,
                                           access_module.DEFAULT_PORT),
                        help='where to listen (default %(default)s; port '
                        '0 picks a free one)')
    parser.add_argument('--token', metavar='TOKEN',
                        default=os.environ.get(TOKEN_ENV) or None,
                        help='the token a browser must give (?token=TOKEN '
                        'once, then a cookie), %d characters or more; '
                        'default: $%s (kept out of the process list), '
                        'else a random one, printed in the address at '
                        'start' % (access_module.MIN_TOKEN_LENGTH,
                                   TOKEN_ENV))
    parser.add_argument('--no-token', action='store_true',
                        help='ask no token: only on a single-user machine '
                        '(every local user can reach 127.0.0.1); refused '
                        'on an address other than loopback')
    parser.add_argument('--max-flows', type=int,
                        default=catalog_module.MAX_FLOWS, metavar='N',
                        help='flows kept in the index; older ones are '
                        'forgotten (default %(default)s)')
    parser.add_argument('--alias', action='append', default=[],
                        metavar='NAME=LABEL',
                        help='show service NAME as LABEL; repeatable')
    parser.add_argument('--verbose', action='store_true',
                        help='print each request served (without its '
                        'query) on stderr')
    parser.set_defaults(func=cmd_serve)


class UserError(Exception):
    pass


def _error(message):
    sys.stderr.write('requestshook: error: %s\n' % message)
    return 1


def _aliases(items):
    aliases = {}
    for item in items:
        name, sep, label = item.partition('=')
        if not sep or not name:
            raise UserError('--alias wants NAME=LABEL, not %r' % item)
        aliases[name] = label or name
    return aliases


def _token_name(args):
    if args.token and args.token == os.environ.get(TOKEN_ENV):
        return '$' + TOKEN_ENV
    return '--token'


def _paths(args):
    return list(args.logs) + list(args.files) or [logpath.log_to_read()]


def cmd_serve(args, ready=None):
    """Serve until interrupted; ``ready(server)`` is called once bound."""
    try:
        host, port = access_module.parse_bind(args.bind)
        aliases = _aliases(args.alias)
        if args.max_flows < 1:
            raise UserError('--max-flows wants 1 or more')
        if args.source and (args.logs or args.files):
            raise UserError('give log files or --source, not both')
        access = access_module.Access.for_bind(
            host, port, args.token, args.no_token, _token_name(args))
        feed = feeds.open_feed(_paths(args), args.source)
    except (access_module.AccessError, access_module.BindError, UserError,
            source_module.LogError) as exc:
        return _error(str(exc))
    try:
        server = app.start(feed, access, args.max_flows, aliases,
                           args.verbose)
    except OSError as exc:
        feed.close()
        return _error('cannot listen on %s:%s: %s' % (
            host, port, exc.strerror or exc))
    bound_port = server.server_address[1]
    sys.stdout.write('requestshook: serving %s\n' % access.url(bound_port))
    if access.generated:
        sys.stdout.write('requestshook: open the address above: it holds '
                         'a token made for this run; without it the '
                         'server answers 401\n')
    sys.stdout.flush()
    if ready is not None:
        ready(server)
    try:
        while not server.stopping.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
