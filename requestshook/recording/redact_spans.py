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


"""How the secrets found in one text are replaced: masks and spans.

:class:`_Spans` collects the parts of a text to replace (what
:class:`~requestshook.recording.redact_text.TextScrubber` finds) and
applies them at once; it spends a budget of :data:`MAX_SECRETS` matches
per text, past which the rest of the text is masked as a whole
(:data:`REST_MASKED`).
"""

MASK = '***'
HASH_PREFIX = '{SHA256}'
MAX_SECRETS = 1024
REST_MASKED = MASK + ' [requestshook: more than %d secrets, the rest of ' \
    'this text is masked]' % MAX_SECRETS


class _TooMany(Exception):
    """More secrets in one text than :data:`MAX_SECRETS`."""

    def __init__(self, position):
        super(_TooMany, self).__init__(position)
        self.position = position


class _Spans(object):
    """The parts of one text to replace, and the budget of matches."""

    def __init__(self):
        self.items = []
        self.left = MAX_SECRETS
        self.end = None         # where the budget ran out

    def spend(self, position):
        self.left -= 1
        if self.left < 0:
            raise _TooMany(position)

    def add(self, start, end, shown):
        if end > start:
            self.items.append((start, end, shown))

    def apply(self, text):
        pieces = []
        position = 0
        for start, end, shown in sorted(self.items):
            if self.end is not None and start >= self.end:
                break
            if start < position:
                if end > position:      # overlapping spans: mask both
                    pieces[-1] = MASK
                    position = end
                continue
            pieces.append(text[position:start])
            pieces.append(shown)
            position = end
        if self.end is not None:
            pieces.append(text[position:self.end] if self.end > position
                          else '')
            pieces.append(REST_MASKED)
        else:
            pieces.append(text[position:])
        return ''.join(pieces)
