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

"""W3C trace context: ``traceparent`` and requestshook's ids.

requestshook's trace and hop ids are 32 lowercase hex characters, the
size of a W3C trace id.  A trace id is used as it is; a hop is one span
per side, their span ids (16 hex) are the hop id's two halves: the
client side's is the first half, the server side's the second.  Ids that
are not 32 hex (``REQUESTSHOOK_TRACE_ID`` may be anything) are hashed to
the right size.  Standard library only: the capture side, the OTLP sink
and the reader may all use it.
"""

import hashlib
import re

HEADER = 'traceparent'
VERSION = '00'
SAMPLED = '01'

_HEX32 = re.compile(r'^[0-9a-f]{32}$')
_HEX16 = re.compile(r'^[0-9a-f]{16}$')
_TRACEPARENT = re.compile(
    r'^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})'
    r'(-[ -~]*)?$')
_ZERO32 = '0' * 32
_ZERO16 = '0' * 16


def _digest(text, size):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:size]


def is_span_id(value):
    """True for a W3C parent/span id (16 hex, not all zeros)."""
    return bool(value) and bool(_HEX16.match(value)) and value != _ZERO16


def trace_id(trace):
    """The W3C trace id (32 hex) of a requestshook trace id."""
    trace = trace or ''
    if _HEX32.match(trace) and trace != _ZERO32:
        return trace
    return _digest('trace:' + trace, 32)


def _half(hop_id, side):
    hop_id = hop_id or ''
    if _HEX32.match(hop_id):
        half = hop_id[:16] if side == 'client' else hop_id[16:]
        if half != _ZERO16:
            return half
    return _digest(side + ':' + hop_id, 16)


def client_span_id(hop_id):
    """Span id of a hop's client side (the caller's span)."""
    return _half(hop_id, 'client')


def server_span_id(hop_id):
    """Span id of a hop's server side (the callee's span)."""
    return _half(hop_id, 'server')


def traceparent(trace, hop_id):
    """The ``traceparent`` a caller sends for hop ``hop_id``."""
    return '-'.join((VERSION, trace_id(trace), client_span_id(hop_id),
                     SAMPLED))


def parse(value):
    """``(trace_id, parent_id)`` of a valid ``traceparent``, else None."""
    if not isinstance(value, str):
        return None
    # Lowercase hex only (the spec's HEXDIGLC): anything else is invalid.
    match = _TRACEPARENT.match(value.strip())
    if match is None:
        return None
    version, trace, parent, _flags, rest = match.groups()
    if version == 'ff' or (version == VERSION and rest):
        return None
    if trace == _ZERO32 or parent == _ZERO16:
        return None
    return trace, parent
