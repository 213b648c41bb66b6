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
off: nothing at all (:func:`written_since` says what was, if anything).
"""

import json
import re

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


class Written(object):
    """What was appended to the log after an offset: lines as bytes."""

    def __init__(self, size, lines):
        self.bytes = size
        self.lines = lines

    def summary(self, limit=5):
        """A line per event (at most ``limit``): side, hop, method, url."""
        shown = []
        for line in self.lines[:limit]:
            try:
                event = json.loads(line)
                shown.append('  %s %s %s: %s -> %s %s %s' % (
                    event.get('ts'), event.get('event'), event.get('side'),
                    event.get('from'), event.get('to'), event.get('method'),
                    event.get('url')))
            except (ValueError, AttributeError):
                shown.append('  (not an event: %d bytes)' % len(line))
        if len(self.lines) > limit:
            shown.append('  ... %d more lines' % (len(self.lines) - limit))
        return '\n'.join(shown)


def written_since(path, offset):
    """:class:`Written`: what ``path`` holds past ``offset`` bytes."""
    with open(path, 'rb') as stream:
        stream.seek(offset)
        tail = stream.read()
    return Written(len(tail), tail.splitlines())
