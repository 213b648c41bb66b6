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

"""What the log of a Tempest run must be.

With recording on: strict JSON, and no secret in it.  With recording
off: nothing but the closing events of calls opened while it was on
(:func:`written_since` tells them from anything else).
"""

import json
import re

from requestshook import event as event_format

# A keystone fernet token (or receipt): 'gAAAAA' and base64url.
FERNET = re.compile(r'gAAAAA[\w-]{20,}')


def _reject_constant(name):
    raise ValueError('%s is not RFC 8259 JSON' % name)


class LogCheck(object):
    def __init__(self):
        self.lines = 0
        self.not_strict = []
        self.secrets = []

    @property
    def ok(self):
        return self.lines > 0 and not self.not_strict and not self.secrets

    def summary(self):
        text = ('log: %d lines, %d not strict JSON, %d holding a secret'
                % (self.lines, len(self.not_strict), len(self.secrets)))
        for number, why in (self.not_strict + self.secrets)[:5]:
            text += '\n  line %d: %s' % (number, why)
        return text


def check_log(path, secrets):
    """Read the log at ``path``; ``secrets`` are strings never to be seen.

    Secrets are named by kind and line in the result, never printed.
    """
    secrets = [secret for secret in secrets if secret and len(secret) >= 6]
    check = LogCheck()
    with open(path, 'rb') as stream:
        for number, raw in enumerate(stream, 1):
            check.lines += 1
            try:
                line = raw.decode('utf-8')
                json.loads(line, parse_constant=_reject_constant)
            except ValueError as error:
                check.not_strict.append((number, str(error)[:80]))
                continue
            if FERNET.search(line):
                check.secrets.append((number, 'a fernet token'))
            elif any(secret in line for secret in secrets):
                check.secrets.append((number, 'a password of the stack'))
    return check


# The events that end a call.
_CLOSING = (event_format.RESPONSE, event_format.ERROR)


def _call_key(event):
    return (event.get('id'), event.get('side'), event.get('host'),
            event.get('pid'))


def _describe(line):
    try:
        event = json.loads(line)
        return '  %s %s %s: %s -> %s %s %s' % (
            event.get('ts'), event.get('event'), event.get('side'),
            event.get('from'), event.get('to'), event.get('method'),
            event.get('url'))
    except (ValueError, AttributeError):
        return '  (not an event: %d bytes)' % len(line)


class Written(object):
    """What was appended to the log after an offset: lines as bytes.

    ``finishing`` are the closing events (response, error) of calls whose
    request event came before the offset: the recorder writes those even
    once recording is off (a call that started recording finishes
    recording).  ``strays`` are all the other lines.
    """

    def __init__(self, size, finishing, strays):
        self.bytes = size
        self.finishing = finishing
        self.strays = strays

    def summary(self, limit=5):
        """Counts, then a line per stray (at most ``limit``)."""
        shown = ['%d bytes: %d closing events of calls opened before, '
                 '%d other lines' % (self.bytes, len(self.finishing),
                                     len(self.strays))]
        shown.extend(_describe(line) for line in self.strays[:limit])
        if len(self.strays) > limit:
            shown.append('  ... %d more lines' % (len(self.strays) - limit))
        return '\n'.join(shown)


def written_since(path, offset):
    """:class:`Written`: what ``path`` holds past ``offset`` bytes."""
    opened = set()
    with open(path, 'rb') as stream:
        for raw in stream.read(offset).splitlines():
            try:
                event = json.loads(raw)
                if event.get('event') == event_format.REQUEST:
                    opened.add(_call_key(event))
            except (ValueError, AttributeError, TypeError):
                continue
        tail = stream.read()
    finishing, strays = [], []
    for raw in tail.splitlines():
        try:
            event = json.loads(raw)
            closes = (event.get('event') in _CLOSING
                      and _call_key(event) in opened)
        except (ValueError, AttributeError, TypeError):
            closes = False
        (finishing if closes else strays).append(raw)
    return Written(len(tail), finishing, strays)
