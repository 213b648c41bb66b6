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

"""Put the requestshook filter into a paste deploy file, or take it out.

The file is edited line by line, never rewritten through configparser:
comments, order, spacing and every byte this module does not touch stay
as they were, so ``remove`` after ``insert`` gives back the original bytes.

Where the filter goes in each pipeline (the rule ``show`` reports):

1. Right after ``versionnegotiation`` where the pipeline has it (glance):
   version discovery answered by that filter is not recorded, and the
   path the app sees is the one recorded.
2. In swift's proxy pipeline (the one ending in ``proxy-server``): right
   after the leading ``catch_errors gatekeeper healthcheck proxy-logging``
   run.  That is left of authentication (a 401 from ``authtoken``,
   ``keystoneauth`` or ``tempauth`` is recorded), left of ``s3api``,
   ``slo``, ``dlo``, ``copy`` and ``versioned_writes`` (their internal
   sub-requests are not HTTP hops and are not recorded), and right of
   ``healthcheck`` (load balancer probes do not flood the log) and of
   the first ``proxy-logging`` (swift's access log times the request
   with requestshook's cost included).
3. Anywhere else: right after the run of front filters the pipeline
   starts with (``cors``, ``http_proxy_to_wsgi``, ``request_id``,
   ``compute_req_id``): the URL is the one the client used, and
   everything that may answer or fail (fault wrappers, size limits,
   authentication, the app) is inside, so the response recorded is the
   one the client got.

Pipelines are the ``pipeline`` option of ``[pipeline:NAME]`` sections and
the flavour keys of pipeline-factory composites (``keystone``,
``keystone+cachemanagement``, ``noauth2``...): a composite key whose value
is two or more names, all but the last of them filters.
"""

import collections
import re

FILTER_NAME = 'requestshook'
SECTION_NAME = 'filter:' + FILTER_NAME
FACTORY = 'requestshook.middleware:filter_factory'
MARKER = ('# Added by `requestshook paste insert`; '
          '`requestshook paste remove` takes it out.')

ANCHOR_FILTERS = ('versionnegotiation',)
FRONT_FILTERS = frozenset(
    ['cors', 'http_proxy_to_wsgi', 'request_id', 'compute_req_id'])
SWIFT_APP = 'proxy-server'
SWIFT_FRONT_FILTERS = frozenset(
    ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging'])
SWIFT_LAST_FRONT_FILTER = 'proxy-logging'
# (service_name, pipeline) -> the name recorded for a pipeline that a
# process of its own serves: nova's metadata API (devstack's n-api-meta)
# loads [pipeline:meta] from nova-api's paste file.
PIPELINE_SERVICE_NAMES = {('nova-api', 'meta'): 'nova-api-metadata'}

# Keys of a composite section that name its factory, not a pipeline.
_FACTORY_KEYS = frozenset(
    ['use', 'paste.composite_factory', 'paste.composit_factory'])
_SECTION_RE = re.compile(r'\[(?P<header>.+)\]\s*$')
# As configparser's OPTCRE: the key ends at the first '=' or ':'.
_OPTION_RE = re.compile(r'(?P<key>.*?)\s*(?P<delimiter>[=:])\s*')
_WORD_RE = re.compile(r'\S+')
_COMMENT_PREFIXES = ('#', ';')

Word = collections.namedtuple('Word', 'text line start end')


class Option(object):
    def __init__(self, key, line, value_start):
        self.key = key
        self.line = line
        self.value_start = value_start
        self.words = []
        self.last_line = line


class Section(object):
    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.options = []
        self.end = line + 1

    @property
    def kind(self):
        return self.name.split(':', 1)[0].strip()

    @property
    def short_name(self):
        return self.name.split(':', 1)[-1].strip()

    def option(self, key):
        for option in self.options:
            if option.key == key:
                return option
        return None


class Pipeline(object):
    """One list of filter names ending with an app, as found in the file."""

    def __init__(self, section, option):
        self.section = section
        self.option = option

    @property
    def names(self):
        return [word.text for word in self.option.words]

    @property
    def label(self):
        return '[%s] %s' % (self.section.name, self.option.key)

    def placement(self):
        """Index in ``names`` before which the filter goes."""
        return placement(self.names)


def placement(names):
    """Index in a pipeline's ``names`` before which the filter goes."""
    for anchor in ANCHOR_FILTERS:
        if anchor in names[:-1]:
            return names.index(anchor) + 1
    if names[-1] == SWIFT_APP:
        front, last_front = SWIFT_FRONT_FILTERS, SWIFT_LAST_FRONT_FILTER
    else:
        front, last_front = FRONT_FILTERS, None
    index = 0
    while index < len(names) - 1 and names[index] in front:
        index += 1
        if names[index - 1] == last_front:
            break
    return index


class Document(object):
    """A paste file as lines, with the sections and options found in it."""

    def __init__(self, text):
        self.lines = text.splitlines(True)
        self.sections = []
        self._parse()

    def _parse(self):
        section = None
        option = None
        indent = 0
        for number, line in enumerate(self.lines):
            stripped = line.strip()
            if not stripped or stripped.startswith(_COMMENT_PREFIXES):
                continue
            line_indent = len(line) - len(line.lstrip())
            if option is not None and line_indent > indent:
                option.words.extend(_words(line, number, 0))
                option.last_line = number
                section.end = number + 1
                continue
            option = None
            header = _SECTION_RE.match(stripped)
            if header:
                section = Section(header.group('header'), number)
                self.sections.append(section)
                continue
            if section is None:
                continue
            match = _OPTION_RE.match(line, line_indent)
            if not match or not match.group('key'):
                continue
            option = Option(match.group('key').strip().lower(), number,
                            match.end())
            option.words.extend(_words(line, number, match.end()))
            indent = line_indent
            section.options.append(option)
            section.end = number + 1

    def section(self, name):
        for section in self.sections:
            if section.name.strip() == name:
                return section
        return None

    def filter_names(self):
        return set(section.short_name for section in self.sections
                   if section.kind == 'filter')

    def pipelines(self):
        filters = self.filter_names() | {FILTER_NAME}
        found = []
        for section in self.sections:
            if section.kind == 'pipeline':
                option = section.option('pipeline')
                if option is not None and option.words:
                    found.append(Pipeline(section, option))
            elif section.kind in ('composite', 'composit'):
                for option in section.options:
                    if _is_flavour(option, filters):
                        found.append(Pipeline(section, option))
        return found

    def hooked_pipelines(self):
        """The pipelines the filter belongs in.

        A pipeline whose app is itself a pipeline (or a composite of
        pipelines) of this file is left alone: the inner one records.
        """
        pipelines = self.pipelines()
        inner = set(p.section.short_name for p in pipelines)
        return [p for p in pipelines if p.names[-1] not in inner]


def _words(line, number, start):
    return [Word(m.group(), number, m.start(), m.end())
            for m in _WORD_RE.finditer(line.rstrip('\r\n'), start)]


def _is_flavour(option, filters):
    if option.key in _FACTORY_KEYS or option.key.startswith('/'):
        return False
    names = [word.text for word in option.words]
    return len(names) >= 2 and all(
        name in filters or ':' in name for name in names[:-1])


def _newline(text):
    return '\r\n' if '\r\n' in text else '\n'


def section_block(service_name, newline='\n', filter_name=FILTER_NAME):
    """What ``insert`` appends: a blank line, a marker, the section."""
    return newline.join([
        '', MARKER, '[filter:%s]' % filter_name,
        'paste.filter_factory = %s' % FACTORY,
        'service_name = %s' % service_name, ''])


def is_filter_name(name):
    """Is ``name`` one of the filters ``insert`` adds?"""
    return name == FILTER_NAME or name.startswith(FILTER_NAME + '-')


def pipeline_service_names(service_name, overrides=None):
    """Pipeline name -> service name, for pipelines not named ``service_name``.

    The built-in ones (:data:`PIPELINE_SERVICE_NAMES`) first, then
    ``overrides`` (``{'meta': 'nova-api-metadata'}``).
    """
    names = {pipeline: name for (service, pipeline), name
             in PIPELINE_SERVICE_NAMES.items() if service == service_name}
    names.update(overrides or {})
    return names


def service_name_of(text):
    """The ``service_name`` of the file's requestshook filter, or None."""
    section = Document(text).section(SECTION_NAME)
    option = section and section.option('service_name')
    if option is None or not option.words:
        return None
    return ' '.join(word.text for word in option.words)


def insert(text, service_name, pipeline_names=None):
    """The file's text with the filter in every pipeline; idempotent.

    ``pipeline_names`` maps a pipeline's name (``meta`` for
    ``[pipeline:meta]``) to the service name recorded for it, when a
    process of its own serves it; such a pipeline gets a filter section
    of its own, ``[filter:requestshook-meta]``.
    """
    document = Document(text)
    lines = list(document.lines)
    names = pipeline_service_names(service_name, pipeline_names)
    sections = {FILTER_NAME: service_name}
    for pipeline in document.hooked_pipelines():
        own = pipeline.section.short_name
        filter_name = FILTER_NAME
        if own in names:
            filter_name = '%s-%s' % (FILTER_NAME, own)
            sections[filter_name] = names[own]
        if any(is_filter_name(name) for name in pipeline.names):
            continue
        word = pipeline.option.words[pipeline.placement()]
        line = lines[word.line]
        lines[word.line] = (line[:word.start] + filter_name + ' ' +
                            line[word.start:])
    newline = _newline(text)
    for filter_name, name in sections.items():
        section = document.section('filter:' + filter_name)
        if section is not None:
            _set_service_name(lines, section, name)
            continue
        block = section_block(name, newline, filter_name)
        if lines and not lines[-1].endswith('\n'):
            # End the last line, and no blank line: remove() tells by this
            # that the file had no final newline.
            lines[-1] += newline
            block = block[len(newline):]
        lines.append(block)
    return ''.join(lines)


def _set_service_name(lines, section, service_name):
    option = section.option('service_name')
    if option is None:
        at = section.end
        newline = _newline(''.join(lines))
        if not lines[at - 1].endswith('\n'):
            lines[at - 1] += newline
        lines.insert(at, 'service_name = %s%s' % (service_name, newline))
        return
    if [w.text for w in option.words] == [service_name]:
        return
    line = lines[option.line]
    ending = line[len(line.rstrip('\r\n')):]
    lines[option.line] = line[:option.value_start] + service_name + ending
    for number in range(option.line + 1, option.last_line + 1):
        lines[number] = ''


def remove(text):
    """The file's text without the filter, as it was before ``insert``."""
    document = Document(text)
    lines = list(document.lines)
    found = [word for pipeline in document.pipelines()
             for word in pipeline.option.words if is_filter_name(word.text)]
    for word in sorted(found, key=lambda w: (w.line, w.start), reverse=True):
        lines[word.line] = _cut_word(lines[word.line], word)
    ours = [section for section in document.sections
            if section.kind == 'filter' and is_filter_name(section.short_name)]
    for section in sorted(ours, key=lambda s: s.line, reverse=True):
        _remove_section(lines, section)
    return ''.join(lines)


def _remove_section(lines, section):
    start, end = section.line, section.end
    unended = False
    if start > 0 and lines[start - 1].rstrip('\r\n') == MARKER:
        start -= 1
        if start > 0 and not lines[start - 1].strip():
            start -= 1
        elif start > 0 and end == len(lines):
            unended = True
    del lines[start:end]
    if unended:
        lines[-1] = lines[-1].rstrip('\r\n')


def _cut_word(line, word):
    after = line[word.end:word.end + 1]
    if after in (' ', '\t'):
        return line[:word.start] + line[word.end + 1:]
    if word.start > 0 and line[word.start - 1] in (' ', '\t'):
        return line[:word.start - 1] + line[word.end:]
    return line[:word.start] + line[word.end:]


PipelineState = collections.namedtuple(
    'PipelineState', 'label names position hooked')


def describe(text):
    """Each pipeline, and where the filter sits or would go."""
    document = Document(text)
    hooked = set(id(p.option) for p in document.hooked_pipelines())
    states = []
    for pipeline in document.pipelines():
        names = pipeline.names
        ours = [index for index, name in enumerate(names)
                if is_filter_name(name)]
        position = ours[0] if ours else None
        states.append(PipelineState(pipeline.label, names, position,
                                    id(pipeline.option) in hooked))
    return states
