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


"""Secrets in JSON bodies: the walk over a parsed body.

Values under a secret key become ``"***"`` (a token key's are hashed);
an object or list under such a key is walked instead; the ``id`` of an
object under a token key and keystone's token ids are hashed; strings are
scrubbed as texts (:mod:`requestshook.recording.redact_text`) when they
may hold a secret in another shape.  A walk has a budget
(:data:`WALK_BUDGET`): past it :class:`JsonTooLong` is raised and the
caller scrubs the body as its JSON text, which takes linear time in C.
"""

import hashlib
import re

from requestshook import event as event_format
from requestshook.recording import redact_keys
from requestshook.recording import redact_text

MASK = redact_text.MASK
HASH_PREFIX = redact_text.HASH_PREFIX

# Kinds of JSON keys.
_PLAIN, _SECRET, _TOKEN = range(3)
_KINDS_KEPT = 1024

# Where keystone requests and responses hold a token object with an "id":
# the v3 token auth method, the v2 token auth and the v2 token response.
_KEYSTONE_TOKEN_PATHS = (('auth', 'identity', 'token'), ('auth', 'token'),
                         ('access', 'token'))

# nova's console auth tokens are a segment of the URL's path.
PATH_TOKEN_SEGMENT = '/os-console-auth-tokens/'
_PATH_TOKEN = re.compile('(%s)([^/?#\\s"]+)' % PATH_TOKEN_SEGMENT)

# What walking one JSON body may cost: a value counts 1, a string 2, and
# a string that must be scrubbed as text 16 more.  A body beyond it
# (thousands of tiny values: a hostile one) is scrubbed as its JSON text,
# which takes linear time in C, and kept as text.
WALK_BUDGET = 8192
_LOOK_COST = 3
_STRING_COST = 16
WALKED_AS_TEXT = 'too many values to walk: scrubbed as text'
# Containers at this depth have their children checked by _walk (masked
# past event.MAX_JSON_DEPTH).
_DEEPEST = event_format.MAX_JSON_DEPTH


class JsonTooLong(Exception):
    """A JSON value costs more than :data:`WALK_BUDGET` to walk."""


class Budget(object):
    __slots__ = ('left',)

    def __init__(self, left):
        self.left = left

    def spend(self, cost=1):
        self.left -= cost
        if self.left < 0:
            raise JsonTooLong()


def hash_value(value):
    """``{SHA256}`` + the first 16 hex digits of the value's digest."""
    if isinstance(value, str):
        if value.startswith(HASH_PREFIX):
            return value
        value = value.encode('utf-8', 'surrogateescape')
    elif not isinstance(value, bytes):
        value = str(value).encode('utf-8')
    return HASH_PREFIX + hashlib.sha256(value).hexdigest()[:16]


def _replaced(data, path, value):
    """A copy of ``data`` with ``value`` at ``path`` (dicts on the way)."""
    if not path:
        return value
    return dict(data, **{path[0]: _replaced(data[path[0]], path[1:], value)})


def _hash_path_token(match):
    if match.group(2) == MASK:
        return match.group(0)
    return match.group(1) + hash_value(match.group(2))


def hash_path_tokens(text, whole=True):
    """``text`` with nova's console auth tokens in paths hashed.

    ``whole``: the text is not cut; a token at the end of a cut text may
    be cut too, and is masked.
    """
    if whole:
        return _PATH_TOKEN.sub(_hash_path_token, text)
    end = len(text)
    return _PATH_TOKEN.sub(
        lambda match: match.group(1) + MASK if match.end() == end
        else _hash_path_token(match), text)


class JsonWalker(object):
    """The JSON half of :class:`redact.Redactor`.

    Needs ``is_secret_key``, ``_kinds`` (a dict) and ``_scrubber`` (a
    :class:`redact_text.TextScrubber`) from the class it is mixed in.
    """

    def redact_json(self, data, walk=True):
        """A JSON value with secret values masked (same object if none).

        Raises :class:`JsonTooLong` past :data:`WALK_BUDGET`.
        """
        data = self._redact_keystone_token(data)
        if not walk:
            return data
        return self._walk(data, Budget(WALK_BUDGET))

    def _key_kind(self, key):
        # PLAIN, SECRET or TOKEN; the kinds of the last keys seen are kept.
        kind = self._kinds.get(key)
        if kind is None:
            if not self.is_secret_key(key):
                kind = _PLAIN
            elif redact_keys.is_token_key(key.lower()):
                kind = _TOKEN
            else:
                kind = _SECRET
            if len(self._kinds) >= _KINDS_KEPT:
                self._kinds.clear()
            self._kinds[key] = kind
        return kind

    def _walk(self, value, budget, secret=False, token=False, depth=0):
        # ``secret``: a list under a secret key, whose scalars are masked;
        # ``token``: an object under a token key, whose id is hashed.
        # Deeper than any body the recorder parses: masked whole.
        if depth > event_format.MAX_JSON_DEPTH:
            return MASK if isinstance(value, (dict, list)) else value
        if isinstance(value, dict):
            return self._walk_object(value, budget, token, depth)
        if isinstance(value, list):
            return self._walk_array(value, budget, secret, depth)
        # A scalar comes here only as a whole body (a JSON text that is
        # one string or number), scrubbed as the values of a container.
        if value.__class__ is str:
            return self._redact_string(value, budget)
        if value.__class__ is float and value - value != 0.0:
            return repr(value)      # as event.encode writes it
        return value

    # The budget is spent per container (a value counts 1) and per string
    # (1 more), and checked after each container: what a walk costs is
    # the same, its check done once per container.

    def _walk_object(self, value, budget, token, depth):
        budget.spend(len(value))
        changed = None
        kinds = self._kinds
        strings = 0
        for key, item in value.items():
            kind = kinds.get(key)
            if kind is None:
                kind = self._key_kind(key)
            cls = item.__class__
            if kind == _PLAIN:
                if cls is str:
                    if token and key == 'id':
                        new = hash_value(item)
                    elif len(item) > 3 and '=' not in item and \
                            ':' not in item and '%' not in item and \
                            '<' not in item and \
                            PATH_TOKEN_SEGMENT not in item:
                        strings += 1    # surely no secret: see _redact_string
                        continue
                    else:
                        new = self._redact_string(item, budget)
                elif cls is dict and depth < _DEEPEST:
                    new = self._walk_object(item, budget, False, depth + 1)
                elif cls is list and depth < _DEEPEST:
                    new = self._walk_array(item, budget, False, depth + 1)
                elif isinstance(item, (dict, list)):
                    new = self._walk(item, budget, False, False, depth + 1)
                elif cls is float and item - item != 0.0:
                    new = repr(item)    # as event.encode writes it
                else:
                    continue
            elif item is None:
                continue
            elif isinstance(item, (dict, list)):
                new = self._walk(item, budget, isinstance(item, list),
                                 kind == _TOKEN, depth + 1)
            elif kind == _TOKEN and cls is str:
                new = hash_value(item)
            else:
                new = MASK
            if new is not item:
                if changed is None:
                    changed = dict(value)
                changed[key] = new
        budget.spend(strings)
        return value if changed is None else changed

    def _walk_array(self, value, budget, secret, depth):
        budget.spend(len(value))
        changed = None
        strings = 0
        for index, item in enumerate(value):
            cls = item.__class__
            if cls is str and not secret:
                if len(item) > 3 and '=' not in item and \
                        ':' not in item and '%' not in item and \
                        '<' not in item and PATH_TOKEN_SEGMENT not in item:
                    strings += 1
                    continue
                new = self._redact_string(item, budget)
            elif cls is dict and depth < _DEEPEST:
                new = self._walk_object(item, budget, False, depth + 1)
            elif isinstance(item, (dict, list)):
                new = self._walk(item, budget, secret and isinstance(
                    item, list), False, depth + 1)
            elif secret and item is not None:
                new = MASK
            elif cls is float and item - item != 0.0:
                new = repr(item)
            else:
                continue
            if new is not item:
                if changed is None:
                    changed = list(value)
                changed[index] = new
        budget.spend(strings)
        return value if changed is None else changed

    def _redact_string(self, text, budget):
        # JSON, a query or YAML inside a JSON string.
        if len(text) < 4:
            return text
        budget.left -= 1
        if budget.left < 0:
            raise JsonTooLong()
        if not self._scrubber.may_hold_delimited(text) and \
                PATH_TOKEN_SEGMENT not in text:
            return text
        # Looking for a key costs a few searches more.
        budget.spend(_LOOK_COST)
        if not self._scrubber.may_hold_secret(text) and \
                PATH_TOKEN_SEGMENT not in text:
            return text
        budget.spend(_STRING_COST)
        new = self._scrubber.scrub_text(text, whole=True)
        if PATH_TOKEN_SEGMENT in new:
            new = hash_path_tokens(new)
        return text if new == text else new

    @staticmethod
    def _redact_keystone_token(data):
        if data.__class__ is dict and 'auth' not in data and \
                'access' not in data:
            return data     # no path starts here: no KeyError raised
        for path in _KEYSTONE_TOKEN_PATHS:
            try:
                token = data
                for key in path:
                    token = token[key]
                token_id = token['id']
            except (KeyError, TypeError, IndexError):
                continue
            if not isinstance(token_id, str):
                continue
            hashed = hash_value(token_id)
            if hashed != token_id:
                return _replaced(data, path, dict(token, id=hashed))
        return data
