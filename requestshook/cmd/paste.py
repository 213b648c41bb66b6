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

"""``requestshook paste insert|remove|show FILE``."""

import argparse
import sys

from requestshook.tools import pastefile
from requestshook.tools import pasteio

HELP = """\
Put the requestshook filter into a service's paste file, take it out, or
show where it sits.  The file is edited in place, line by line (comments
and order kept), after a copy to FILE%s; insert twice is insert once, and
remove after insert gives back the original bytes.

Where it goes: right after `versionnegotiation` (glance); in swift's proxy
pipeline right after `catch_errors gatekeeper healthcheck proxy-logging`
(before authentication, so 401s are recorded); elsewhere right after the
leading `cors` / `http_proxy_to_wsgi` / `request_id` / `compute_req_id`.

A pipeline that a process of its own serves is recorded under that
process's name, through a filter section of its own: nova's [pipeline:meta]
(the metadata API, devstack's n-api-meta) becomes nova-api-metadata.
""" % pasteio.BACKUP_SUFFIX


def register(subparsers):
    parser = subparsers.add_parser(
        'paste', help='add the filter to a paste file, or take it out',
        description=HELP)
    actions = parser.add_subparsers(dest='paste_action', metavar='ACTION')
    actions.required = True
    for name, func, summary in (
            ('insert', _insert, 'add the filter to every pipeline'),
            ('remove', _remove, 'take the filter out again'),
            ('show', _show, 'print each pipeline and where the filter is')):
        action = actions.add_parser(name, help=summary, description=summary)
        action.add_argument('file', metavar='FILE',
                            help='e.g. /etc/glance/glance-api-paste.ini')
        if name == 'insert':
            action.add_argument(
                '--service-name', metavar='NAME',
                help='the name recorded for this service (default: from '
                     'the file name, e.g. glance-api, nova-api, '
                     'swift-proxy-server)')
            action.add_argument(
                '--pipeline-service', metavar='PIPELINE=NAME',
                action='append', default=[], type=_pipeline_service,
                help='record the pipeline [pipeline:PIPELINE] under NAME '
                     '(repeatable; nova-api files get meta=nova-api-metadata '
                     'without asking)')
        if name != 'show':
            action.add_argument('--no-backup', action='store_true',
                                help='do not copy the file first')
        action.set_defaults(func=func)


def _pipeline_service(text):
    pipeline, sep, name = text.partition('=')
    if not sep or not pipeline.strip() or not name.strip():
        raise argparse.ArgumentTypeError(
            'expected PIPELINE=NAME, e.g. meta=nova-api-metadata')
    return pipeline.strip(), name.strip()


def _load(path):
    try:
        text = pasteio.read(path)
    except OSError as error:
        sys.stderr.write('requestshook paste: %s\n' % error)
        return None
    if not pastefile.Document(text).pipelines():
        sys.stderr.write('requestshook paste: no pipeline in %s\n' % path)
        return None
    return text


def _insert(args):
    text = _load(args.file)
    if text is None:
        return 1
    name = (args.service_name or pastefile.service_name_of(text) or
            pasteio.default_service_name(args.file, text))
    pipelines = dict(args.pipeline_service)
    done = 'inserted (service_name = %s' % name
    for pipeline, other in sorted(
            pastefile.pipeline_service_names(name, pipelines).items()):
        done += '; [pipeline:%s]: %s' % (pipeline, other)
    return _apply(
        args, lambda before: pastefile.insert(before, name, pipelines),
        done + ')')


def _remove(args):
    if _load(args.file) is None:
        return 1
    return _apply(args, pastefile.remove, 'removed')


def _apply(args, change, done):
    try:
        changed, saved = pasteio.edit(args.file, change,
                                      backup=not args.no_backup)
    except OSError as error:
        sys.stderr.write('requestshook paste: %s\n' % error)
        return 1
    if not changed:
        print('%s: unchanged' % args.file)
        return 0
    print('%s: %s' % (args.file, done))
    if saved:
        print('backup: %s' % saved)
    return 0


def _show(args):
    text = _load(args.file)
    if text is None:
        return 1
    document = pastefile.Document(text)
    if document.section(pastefile.SECTION_NAME) is None:
        print('[%s]: absent' % pastefile.SECTION_NAME)
    for section in document.sections:
        if section.kind == 'filter' and pastefile.is_filter_name(
                section.short_name):
            option = section.option('service_name')
            name = option and ' '.join(word.text for word in option.words)
            print('[%s]: service_name = %s' % (section.name.strip(),
                                               name or '(unset)'))
    for state in pastefile.describe(text):
        print(state.label)
        print('    ' + ' '.join(state.names))
        if state.position is not None:
            where = _neighbours(state.names, state.position)
            print('    requestshook: %s' % where)
        elif not state.hooked:
            print('    requestshook: absent (left alone: its app is an '
                  'inner pipeline)')
        else:
            position = pastefile.placement(state.names)
            print('    requestshook: absent (insert puts it %s)'
                  % _neighbours(state.names, position, planned=True))
    return 0


def _neighbours(names, position, planned=False):
    if planned:
        before = names[position - 1] if position > 0 else None
        after = names[position]
    else:
        before = names[position - 1] if position > 0 else None
        after = names[position + 1] if position + 1 < len(names) else None
    if before is None:
        return 'first, before %s' % after
    if after is None:
        return 'last, after %s' % before
    return 'after %s, before %s' % (before, after)
