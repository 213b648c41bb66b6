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

"""What the reader subcommands do, once their arguments are parsed.

The parsers are :mod:`requestshook.cmd.read`'s; each ``cmd_*`` here is
the ``func`` one of them sets: it reads the shared log (or the files
given, ``-`` for stdin, gzip-compressed rotated logs too, or a Redis
stream) and writes what was asked.  It never imports the capture side.
"""

import datetime
import json
import os
import re
import sys

from requestshook import event
from requestshook.reading import follow as follow_module
from requestshook.reading import index
from requestshook.reading import logpath
from requestshook.reading import redis_source
from requestshook.reading import source as source_module
from requestshook.render import doc as doc_module
from requestshook.render import har as har_module
from requestshook.render import html as html_module
from requestshook.render import markdown as markdown_module
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module
from requestshook.render import text as text_module


class UserError(Exception):
    pass


# Helpers -------------------------------------------------------------------

def _paths(args):
    return list(args.logs) + list(getattr(args, 'files', []) or []) or \
        [logpath.log_to_read()]


def _source(args):
    progress = None
    if args.progress or sys.stderr.isatty():
        progress = source_module.ProgressLine()
    if getattr(args, 'source', None):
        return redis_source.RedisSource(args.source, progress=progress)
    return source_module.LogSource(_paths(args), progress=progress)


def _finish(source):
    if source.progress is not None:
        source.progress.finish()
    source.report_skipped()


def _error(message):
    sys.stderr.write('requestshook: error: %s\n' % message)
    return 1


def _aliases(args):
    aliases = {}
    for item in getattr(args, 'alias', []) or []:
        name, sep, label = item.partition('=')
        if not sep or not name:
            raise UserError('--alias wants NAME=LABEL, not %r' % item)
        aliases[name] = label or name
    return aliases


def _run(func):
    def wrapper(args):
        try:
            return func(args)
        except (source_module.LogError, UserError) as exc:
            return _error(str(exc))
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _flow_or_file(args):
    """``requestshook log FILE`` means the last flow of FILE."""
    flow = args.flow
    if flow == 'last' or index.is_index(flow):
        return
    if flow == source_module.STDIN or '/' in flow or '.' in flow or \
            os.path.exists(flow):
        args.files = [flow] + list(args.files)
        args.flow = 'last'


def _load(args):
    _flow_or_file(args)
    source = _source(args)
    try:
        flow, summaries = index.load_flow(source, args.flow)
    finally:
        _finish(source)
    if sys.stderr.isatty():
        sys.stderr.write('requestshook: flow %s of %d, trace %s: %s\n' % (
            flow.index, len(summaries), flow.key, flow.root_call))
    sequence = sequence_module.Sequence(flow,
                                        fold_tokens=not args.no_opt)
    placeholders = mermaid.placeholders_for(
        sequence, enabled=not args.no_placeholders)
    return sequence, placeholders


def _write(path, content):
    if path in (None, '-'):
        sys.stdout.write(content)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UserError('no such directory: %s' % directory)
    with open(path, 'w', encoding='utf-8') as stream:
        stream.write(content)


# --since -------------------------------------------------------------------

_AGE = re.compile(r'^(\d+(?:\.\d+)?)\s*([smhd])$')
_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}


def since_timestamp(value, now=None):
    """The ``ts`` text a flow must start at or after; UserError if bad."""
    value = value.strip()
    age = _AGE.match(value)
    if age:
        now = now if now is not None else \
            datetime.datetime.now(datetime.timezone.utc).timestamp()
        return event.timestamp(now - float(age.group(1)) *
                               _UNITS[age.group(2)])
    text = value.replace(' ', 'T').rstrip('Z')
    for pattern in ('%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S',
                    '%Y-%m-%dT%H:%M', '%Y-%m-%d'):
        try:
            moment = datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    raise UserError('--since wants a UTC time (2026-11-23T10:15) or an age '
                    '(30s, 10m, 2h, 1d), not %r' % value)


# Subcommands ----------------------------------------------------------------

def _duration_text(ms):
    if ms is None:
        return '?'
    if ms >= 10000:
        return '%.1f s' % (ms / 1000.0)
    return '%.0f ms' % ms


def _row(summary):
    start = summary.start_ts.replace('T', ' ')[:23]
    return [str(summary.index), start, summary.root, str(summary.hops),
            ', '.join(summary.service_names),
            _duration_text(summary.duration_ms), str(summary.errors),
            summary.key[:12]]


def format_table(summaries):
    header = ['#', 'START (UTC)', 'ROOT CALL', 'HOPS', 'SERVICES',
              'DURATION', 'ERRORS', 'TRACE']
    rows = [header] + [_row(s) for s in summaries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {0, 3, 5, 6}
    lines = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else
                 cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append('  '.join(cells).rstrip())
    return '\n'.join(lines) + '\n'


@_run
def cmd_flows(args):
    since = since_timestamp(args.since) if args.since else None
    source = _source(args)
    try:
        summaries = index.scan(source, grep=args.grep)
    finally:
        _finish(source)
    if not summaries:
        raise UserError('no flows in %s' % ', '.join(source.paths))
    shown = summaries
    if since:
        shown = [s for s in shown if s.start_ts >= since]
    if args.service:
        wanted = args.service.lower()
        shown = [s for s in shown
                 if wanted in (n.lower() for n in s.service_names)]
    if args.grep:
        shown = [s for s in shown if s.matched]
    if args.json:
        for s in shown:
            sys.stdout.write(json.dumps({
                'index': s.index, 'trace': s.key, 'start': s.start_ts,
                'end': s.end_ts, 'root': s.root, 'hops': s.hops,
                'services': s.service_names,
                'duration_ms': s.duration_ms, 'errors': s.errors}) + '\n')
        return 0
    if not shown:
        sys.stderr.write('requestshook: none of the %d flows matches\n'
                         % len(summaries))
        return 1
    sys.stdout.write(format_table(shown))
    return 0


@_run
def cmd_diagram(args):
    aliases = _aliases(args)
    sequence, placeholders = _load(args)
    content = mermaid.render(sequence, aliases, placeholders)
    if args.variables and placeholders.values:
        content += '\n' + placeholders.table()
    _write(args.output, content)
    return 0


@_run
def cmd_markdown(args):
    aliases = _aliases(args)
    sequence, placeholders = _load(args)
    _write(args.output, markdown_module.render(sequence, aliases,
                                               placeholders))
    return 0


@_run
def cmd_log(args):
    _aliases(args)
    sequence, _placeholders = _load(args)
    _write(args.output, text_module.render(sequence))
    return 0


@_run
def cmd_har(args):
    _aliases(args)
    sequence, _placeholders = _load(args)
    _write(args.output, har_module.render(sequence))
    return 0


@_run
def cmd_html(args):
    aliases = _aliases(args)
    sequence, placeholders = _load(args)
    _write(args.output, html_module.render(sequence, aliases, placeholders,
                                           title=args.title))
    return 0


@_run
def cmd_doc(args):
    aliases = _aliases(args)
    sequence, placeholders = _load(args)
    paths = doc_module.write(sequence, args.output, title=args.title,
                             command=args.command, aliases=aliases,
                             placeholders=placeholders)
    for path in paths:
        sys.stdout.write(path + '\n')
    return 0


@_run
def cmd_tail(args):
    if args.source:
        return _tail_redis(args)
    paths = _paths(args)
    if source_module.STDIN not in paths:
        source_module.LogSource(paths).check()
    seen = set()
    recent = []
    records = follow_module.follow(paths, keep_going=False)
    for record in _finals(records, seen):
        recent.append(text_module.event_line(record))
        if len(recent) > max(args.lines, 0):
            recent.pop(0)
    for line in recent:
        sys.stdout.write(line + '\n')
    sys.stdout.flush()
    if not args.follow:
        return 0
    for record in _finals(follow_module.follow(paths), seen):
        sys.stdout.write(text_module.event_line(record) + '\n')
        sys.stdout.flush()
    return 0


def _tail_redis(args):
    source = _source(args)
    source.check()
    seen = set()
    recent, last = source.recent(max(args.lines, 0) * 2 + 10)
    lines = [text_module.event_line(record)
             for record in _finals(recent, seen)]
    for line in lines[len(lines) - max(args.lines, 0):]:
        sys.stdout.write(line + '\n')
    sys.stdout.flush()
    if not args.follow:
        return 0
    for record in _finals(source.follow(last), seen):
        sys.stdout.write(text_module.event_line(record) + '\n')
        sys.stdout.flush()
    return 0


def _finals(records, seen, limit=100000):
    """The first response or error event of each hop."""
    for record in records:
        if record.get('event') == event.REQUEST:
            continue
        hop_id = record.get('id')
        if hop_id in seen:
            continue
        if len(seen) >= limit:
            seen.clear()
        seen.add(hop_id)
        yield record
