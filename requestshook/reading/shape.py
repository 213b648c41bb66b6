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

"""Whether a decoded line has the shape of a requestshook event.

A log or a Redis stream may hold lines requestshook never wrote: a file
edited by hand, an entry anyone with write access to Redis added.  The
readers group, sort and draw events by their fields; a field of the
wrong type (a ``ts`` that is a number, ``headers`` that are a string,
a ``trace`` that is a list) would make them raise instead of skipping
that one line.  :func:`well_formed` checks the types of the fields the
readers use; unknown fields are left alone.
"""

from requestshook import event

_TEXT = ('side', 'id', 'trace', 'parent', 'from', 'to', 'host', 'ts',
         'method', 'url', 'reason', 'error', 'proto', 'kind')
_INTEGER = ('v', 'pid', 'status')
_NUMBER = ('duration_ms',)
_BODIES = ('body', 'request_body')


def _integer(value):
    return value.__class__ is int


def _number(value):
    return value.__class__ in (int, float)


def _headers(value):
    if isinstance(value, dict):
        value = list(value.items())
    if not isinstance(value, list):
        return False
    for pair in value:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or \
                not isinstance(pair[0], str) or \
                not isinstance(pair[1], str):
            return False
    return True


def _body(value):
    if not isinstance(value, dict):
        return False
    size = value.get('size')
    kind = value.get('kind')
    return (size is None or _integer(size)) and \
        (kind is None or isinstance(kind, str))


def well_formed(record):
    """True when ``record``'s known fields have their types."""
    if not isinstance(record, dict) or \
            record.get('event') not in event.EVENT_KINDS:
        return False
    for name in _TEXT:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            return False
    for name in _INTEGER:
        value = record.get(name)
        if value is not None and not _integer(value):
            return False
    for name in _NUMBER:
        value = record.get(name)
        if value is not None and not _number(value):
            return False
    headers = record.get('headers')
    if headers is not None and not _headers(headers):
        return False
    for name in _BODIES:
        value = record.get(name)
        if value is not None and not _body(value):
            return False
    return True


def decode(line):
    """An event of the right shape from one line; ``ValueError`` if not.

    A line nested too deep for the JSON decoder is not an event either.
    """
    try:
        record = event.decode(line)
    except RecursionError:
        raise ValueError('nested too deep to be an event')
    if not well_formed(record):
        raise ValueError('not shaped as a requestshook event')
    return record
