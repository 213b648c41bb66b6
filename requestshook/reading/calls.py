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

"""What kind of call a hop is, from its method, path and callee.

OpenStack clients and services start with the same chores: version
discovery (``GET /identity`` answering 300) and a token
(``POST /v3/auth/tokens``).  Knowing them lets a listing name a flow by
its real call and a diagram fold a service's own token fetch into an
``opt`` block.
"""

import re

_VERSION_ONLY = re.compile(r'^(/[\w.-]+)?(/v\d+(\.\d+)*)?/?$')
_TOKENS = re.compile(r'/auth/tokens/?$')


def is_discovery(method, path):
    """``GET /identity``, ``GET /v3``, ``GET /image/v2/``, ``GET /``."""
    return method == 'GET' and bool(_VERSION_ONLY.match(path.split('?')[0]))


def is_token_request(method, path):
    """A new token asked of keystone (not a validation)."""
    return method == 'POST' and bool(_TOKENS.search(path.split('?')[0]))


def is_identity(name):
    name = (name or '').lower()
    return 'keystone' in name or 'identity' in name


def is_preliminary(callee, method, path):
    """A chore before the real call: identity, discovery, tokens."""
    return (is_identity(callee) or is_discovery(method, path)
            or bool(_TOKENS.search(path.split('?')[0])))
