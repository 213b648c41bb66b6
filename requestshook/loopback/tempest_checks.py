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

"""What a recorded run's log must be: strict JSON, and no secret in it."""

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
