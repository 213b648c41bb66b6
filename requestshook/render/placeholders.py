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

"""Named placeholders for the ids in paths.

``/v2/images/a42b...`` becomes ``/v2/images/{image_id}``: the name comes
from the collection before the id (``images`` -> ``image_id``,
``ports`` -> ``port_id``), a swift account (``AUTH_...``) is
``{account}``, and a value named once keeps its name everywhere, so the
image id in ``/v1/{account}/glance/{image_id}`` reads as what it is.
"""

import re

_UUID = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
                   r'[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')
_HEX = re.compile(r'^[0-9a-fA-F]{16,}$')
_ACCOUNT = re.compile(r'^AUTH_[\w-]+$')
_VERSION = re.compile(r'^v\d+(\.\d+)*$')
_WORD = re.compile(r'^[A-Za-z][\w.-]*$')


def is_id(segment):
    return bool(_UUID.match(segment) or _ACCOUNT.match(segment)
                or (_HEX.match(segment) and re.search(r'\d', segment)))


def singular(word):
    word = word.replace('-', '_').replace('.', '_')
    if word.endswith('ies'):
        return word[:-3] + 'y'
    if word.endswith(('sses', 'shes', 'ches', 'xes')):
        return word[:-2]
    if word.endswith('s') and not word.endswith(('ss', 'us')):
        return word[:-1]
    return word


class Placeholders(object):
    """Learns the ids of some paths, then rewrites paths with names."""

    def __init__(self, paths=()):
        self.names = {}     # value -> name
        self.values = {}    # name -> value, in the order names were given
        for path in paths:
            self.learn(path)

    def learn(self, path):
        segments = path.split('?', 1)[0].split('/')
        for position, segment in enumerate(segments):
            if segment and is_id(segment) and segment not in self.names:
                self._name(segment, self._guess(segments, position))

    def _name(self, value, name):
        candidate, number = name, 1
        while candidate in self.values:
            number += 1
            candidate = '%s_%d' % (name, number)
        self.names[value] = candidate
        self.values[candidate] = value

    @staticmethod
    def _guess(segments, position):
        segment = segments[position]
        if _ACCOUNT.match(segment):
            return 'account'
        previous = segments[position - 1] if position else ''
        if position >= 2 and _ACCOUNT.match(segments[position - 2]):
            return 'object'
        if _ACCOUNT.match(previous):
            return 'container'
        if _VERSION.match(previous):
            return 'project_id'
        if previous and _WORD.match(previous) and not is_id(previous):
            return singular(previous) + '_id'
        return 'id'

    def apply(self, path):
        """The path with each known id replaced by ``{name}``."""
        if not self.names:
            return path
        base, sep, query = path.partition('?')
        base = '/'.join('{%s}' % self.names[s] if s in self.names else s
                        for s in base.split('/'))
        if query:
            pairs = []
            for pair in query.split('&'):
                key, eq, value = pair.partition('=')
                if value in self.names:
                    value = '{%s}' % self.names[value]
                pairs.append(key + eq + value)
            query = '&'.join(pairs)
        return base + sep + query

    def table(self):
        """The markdown table of the seeds: placeholder -> value."""
        if not self.values:
            return ''
        lines = ['| variables | values |', '|-----------|--------|']
        for name, value in self.values.items():
            lines.append('| `%s` | %s |' % (name, value))
        return '\n'.join(lines) + '\n'


class NoPlaceholders(Placeholders):
    """Keeps paths as they are (``--no-placeholders``)."""

    def learn(self, path):
        pass
