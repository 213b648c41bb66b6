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


"""Which header names and body keys hold secrets.

The body keys start from the list the OpenStack services already keep
for their own logs, oslo.utils' ``strutils._SANITIZE_KEYS`` (what
``mask_password`` and ``mask_dict_password`` mask), and add
:data:`BODY_KEYS_ADDED`, the secrets of API bodies that list lacks, each
with where it shows.  The configured lists add to these built-in ones
(:func:`combine`); a key or header is left out only when named in the
explicit ``unredacted_*`` options.
"""

import re

from oslo_utils import strutils

# Secrets of API bodies that oslo.utils' list lacks.
BODY_KEYS_ADDED = (
    'original_password',    # keystone: change a user's password
    'new_password',
    'adminpass',            # nova: server create and rebuild (adminPass)
    'passcode',             # keystone TOTP
    'blob',                 # keystone credentials (EC2, TOTP secrets)
    'psk',                  # neutron VPNaaS IPsec pre-shared key
    'auth_key',             # cinder volume transfer: accept and create
    'payload',              # barbican secrets
    'access_key',           # manila cephx access rules
    'keyring',              # rbd connection info
    'signature',            # keystone ec2tokens, s3tokens
    'oauth_verifier',       # keystone OAuth1 authorize
    'samlresponse',         # SAML HTTP-POST binding (SAMLResponse=...)
)

# oslo.utils' curated list, lowercase, as it is.
OSLO_BODY_KEYS = tuple(strutils._SANITIZE_KEYS)

DEFAULT_BODY_KEYS = tuple(sorted(set(OSLO_BODY_KEYS + BODY_KEYS_ADDED)))

DEFAULT_HEADERS = (
    'Authorization',
    'Proxy-Authorization',
    'X-Auth-Token',
    'X-Subject-Token',
    'X-Service-Token',
    'X-Auth-Key',
    'X-Storage-Token',
    'X-Storage-Pass',
    'X-Account-Meta-Temp-URL-Key',
    'X-Account-Meta-Temp-URL-Key-2',
    'X-Container-Meta-Temp-URL-Key',
    'X-Container-Meta-Temp-URL-Key-2',
    'X-Container-Sync-Key',
    'X-Container-Sync-Auth',
    'Openstack-Auth-Receipt',
    'X-Instance-ID-Signature',
    'X-Metadata-Provider-Signature',    # neutron metadata, an HMAC
    'X-Amz-Security-Token',
    'Cookie',
    'Set-Cookie',
)

# Query parameters carrying a credential that no body key names.
URL_SECRET_PARAMS = (
    'temp_url_sig',             # swift temporary URLs
    'x-amz-signature',          # s3api presigned URLs, signature v4
    'x-amz-security-token',
)


def normal_names(names):
    return [name.strip().lower() for name in names or ()
            if name and name.strip()]


def combine(defaults, added=(), removed=()):
    """The lowercase names of ``defaults`` + ``added`` - ``removed``.

    A configured list adds to the built-in one; only names given in
    ``removed`` leave it.
    """
    gone = set(normal_names(removed))
    names = normal_names(defaults) + normal_names(added)
    return frozenset(name for name in names if name not in gone)


def is_token_key(low_key):
    """A key naming a token: its value is hashed, not masked."""
    return low_key.endswith('token')


# Parts most secret key names share.
ANCHOR_HINTS = ('key', 'pass', 'token', 'secret', 'sig')


def anchors(words):
    """Few substrings such that each of ``words`` holds one of them.

    A text holding none of them holds none of the words: a handful of
    substring searches in C tells so much faster than a regular
    expression trying a trie at every letter.
    """
    found = set()
    for word in words:
        found.add(next((hint for hint in ANCHOR_HINTS if hint in word),
                       word))
    return tuple(sorted(anchor for anchor in found if not any(
        other != anchor and other in anchor for other in found)))


def anchor_pattern(anchors, as_bytes=False):
    """A compiled search for any of ``anchors`` (of :func:`anchors`).

    One pass of the regular expression engine over the text, faster than
    a substring search per anchor from a dozen anchors on.
    """
    alternatives = '|'.join(re.escape(anchor) for anchor in anchors) \
        or '(?!)'
    if as_bytes:
        return re.compile(alternatives.encode('utf-8'))
    return re.compile(alternatives)


def trie_pattern(words, boundary=None):
    """A regular expression matching any of ``words`` (longest first).

    Grouped by common prefix, so a text is not tried word by word.
    ``boundary``: a character class that must not come before a word,
    checked after its first character, which keeps each branch starting
    with a literal: the regular expression engine then skips, in C, the
    positions where no word can start.
    """
    tree = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[''] = None
    if not words:
        return '(?!)'
    if boundary is None:
        return _trie_branch(tree)
    return '(?:%s)' % '|'.join(
        re.escape(char) + '(?<!%s%s)' % (boundary, re.escape(char))
        + _trie_branch(child) for char, child in sorted(tree.items()))


def _trie_branch(node):
    branches = [re.escape(char) + _trie_branch(child)
                for char, child in sorted(node.items()) if char]
    ends_here = '' in node
    if not branches:
        return ''
    if len(branches) == 1 and not ends_here:
        return branches[0]
    body = '(?:%s)' % '|'.join(branches)
    return body + '?' if ends_here else body
