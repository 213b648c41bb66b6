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

"""``requestshook merge FILE... -o OUT``: several hosts' logs as one."""

import argparse
import gzip
import os
import sys

from requestshook.reading import merge as merge_module
from requestshook.reading import source as source_module

EPILOG = """\
examples:
  scp ctl1:/var/log/requestshook/requestshook.log ctl1.log
  scp cmp1:/var/log/requestshook/requestshook.log cmp1.log
  requestshook merge ctl1.log cmp1.log cmp1.log.1.gz -o cloud.log
  requestshook flows cloud.log
  requestshook merge ctl1.log cmp1.log -o cloud.log.gz   # gzip-compressed

Every reader command also reads several files at once
(`requestshook diagram 3 ctl1.log cmp1.log`); a merged file is one file
to keep, mail or read again.  Events are merged by timestamp and an
event given twice (overlapping copies) is written once.  The hosts'
clocks need not agree: the reader orders a flow by causality (who called
whom), not by time.
"""


def register(subparsers):
    merge = subparsers.add_parser(
        'merge', help="several hosts' logs merged into one",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Merge logs (one per host, rotated, gzip-compressed) '
        'into one log.')
    merge.add_argument('files', nargs='+', metavar='FILE',
                       help='logs to merge (`-` reads stdin)')
    merge.add_argument('-o', '--output', default='-', metavar='OUT',
                       help='the merged log (default: stdout; a name '
                       'ending in .gz is written gzip-compressed)')
    merge.add_argument('--progress', action='store_true',
                       help='show how much was read, on stderr (shown '
                       'anyway when stderr is a terminal and OUT a file)')
    merge.set_defaults(func=cmd_merge)


def _same_file(path, other):
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False


def _check_output(args):
    if args.output == '-':
        return
    for path in args.files:
        if path != source_module.STDIN and _same_file(path, args.output):
            raise source_module.LogError(
                '%s is both read and written: give another OUT'
                % args.output)
    directory = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(directory):
        raise source_module.LogError('no such directory: %s' % directory)


def _merge_to(args, source):
    if args.output == '-':
        counts = merge_module.merge(source, sys.stdout.buffer)
        sys.stdout.flush()
        return counts
    partial = args.output + '.partial'
    opener = gzip.open if args.output.endswith('.gz') else open
    try:
        with opener(partial, 'wb') as stream:
            counts = merge_module.merge(source, stream)
        os.replace(partial, args.output)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return counts


def cmd_merge(args):
    progress = None
    if args.progress or (sys.stderr.isatty() and args.output != '-'):
        progress = source_module.ProgressLine()
    source = source_module.LogSource(args.files, progress=progress)
    try:
        _check_output(args)
        source.check()
        try:
            counts = _merge_to(args, source)
        finally:
            if progress is not None:
                progress.finish()
            source.report_skipped()
    except source_module.LogError as exc:
        sys.stderr.write('requestshook: error: %s\n' % exc)
        return 1
    if args.output != '-':
        sys.stderr.write('requestshook: wrote %d events from %d files to '
                         '%s%s\n' % (counts.written, len(args.files),
                                     args.output,
                                     ' (%d repeated events left out)'
                                     % counts.repeated
                                     if counts.repeated else ''))
    return 0
