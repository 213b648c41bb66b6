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
_BODIES = ('body', 'request_body')


_STR = str
_INT = int


def _headers(value):
    if value.__class__ is dict:
        value = list(value.items())
    elif value.__class__ is not list:
        return False
    for pair in value:
        if pair.__class__ not in (list, tuple) or len(pair) != 2 or \
                pair[0].__class__ is not _STR or \
                pair[1].__class__ is not _STR:
            return False
    return True


def _body(value):
    if value.__class__ is not dict:
        return False
    size = value.get('size')
    kind = value.get('kind')
    return (size is None or size.__class__ is _INT) and \
        (kind is None or kind.__class__ is _STR)


def well_formed(record):
    """True when ``record``'s known fields have their types."""
    if record.__class__ is not dict:
        return False
    get = record.get
    if get('event') not in event.EVENT_KINDS:
        return False
    for name in _TEXT:
        value = get(name)
        if value is not None and value.__class__ is not _STR:
            return False
    for name in _INTEGER:
        value = get(name)
        if value is not None and value.__class__ is not _INT:
            return False
    value = get('duration_ms')
    if value is not None and value.__class__ not in (int, float):
        return False
    value = get('headers')
    if value is not None and not _headers(value):
        return False
    for name in _BODIES:
        value = get(name)
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
