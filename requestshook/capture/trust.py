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


"""Optional trust in incoming ids: an HMAC signature, as osprofiler does.

The ``X-Requestshook-*`` headers can be forged by any caller.  Where that
matters, give the paste filter ``hmac_keys = key1, key2``: incoming ids
are then used only when ``X-Requestshook-HMAC`` carries a valid
signature of them made with one of the keys, otherwise the filter starts
a new hop and trace as for a caller without a hook.  Processes whose
outbound hook knows a key (the filter's first one, or ``enable(...,
hmac_key=...)``) sign the ids they send.
"""

import hashlib
import hmac

HEADER_HMAC = 'X-Requestshook-HMAC'


def parse_keys(value):
    """Keys from a comma-separated option value; ``[]`` when none."""
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = str(value).split(',')
    return [item.strip() for item in items if item and item.strip()]


def _message(request_id, caller, trace, parent):
    return '\n'.join((request_id or '', caller or '', trace or '',
                      parent or '')).encode('utf-8')


def sign(key, request_id, caller, trace, parent):
    """Hex HMAC-SHA256 of the four ids with ``key``."""
    return hmac.new(key.encode('utf-8'),
                    _message(request_id, caller, trace, parent),
                    hashlib.sha256).hexdigest()


def verify(keys, signature, request_id, caller, trace, parent):
    """True when ``signature`` was made with one of ``keys``."""
    if not keys or not isinstance(signature, str) or \
            not signature.isascii():
        return False
    signature = signature.strip().lower()
    return any(hmac.compare_digest(
        sign(key, request_id, caller, trace, parent), signature)
        for key in keys)
