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


"""What the paste filter reads of a WSGI request's environ.

The ids a caller claims (``X-Requestshook-*``, trusted only with a good
HMAC when the filter has keys), the request's headers as pairs, its
announced length and the caller named from its User-Agent.  Kept per
process: the header name of each environ key and the caller of each
User-Agent seen last, both bounded.
"""

import re

from requestshook.capture import identity
from requestshook.capture import trust
from requestshook import event
from requestshook import w3c

# fullmatch: '$' would also match before a final newline.
_ID = re.compile(r'[A-Za-z0-9_.-]{1,64}')
KEY_REQUEST_ID = event.environ_key(event.HEADER_REQUEST_ID)
KEY_REQUEST_FROM = event.environ_key(event.HEADER_REQUEST_FROM)
KEY_TRACE_ID = event.environ_key(event.HEADER_TRACE_ID)
KEY_PARENT_ID = event.environ_key(event.HEADER_PARENT_ID)
KEY_HMAC = event.environ_key(trust.HEADER_HMAC)
KEY_TRACEPARENT = event.environ_key(w3c.HEADER)


def _id_from(value):
    if isinstance(value, str) and _ID.fullmatch(value):
        return value
    return None


_NO_CLAIM = (None, None, None, None)


def claimed_ids(environ, hmac_keys):
    """The caller's (request id, trace, parent, name).

    Each is None when absent, junk or not trusted.
    """
    request_id = environ.get(KEY_REQUEST_ID)
    trace = environ.get(KEY_TRACE_ID)
    parent = environ.get(KEY_PARENT_ID)
    caller = environ.get(KEY_REQUEST_FROM)
    if request_id is None and trace is None and parent is None and \
            caller is None:
        return _NO_CLAIM
    if hmac_keys and not trust.verify(
            hmac_keys, environ.get(KEY_HMAC), request_id, caller, trace,
            parent):
        return _NO_CLAIM
    return (_id_from(request_id), _id_from(trace), _id_from(parent),
            identity.clean_name(caller))


_CONTENT_KEYS = ('CONTENT_TYPE', 'CONTENT_LENGTH')
# environ key -> its header's name, False when it names no header.
_header_names = {}
_HEADER_NAMES_KEPT = 1024


def _header_name(key):
    if key.startswith('HTTP_'):
        name = key[5:]
    elif key in _CONTENT_KEYS:
        name = key
    else:
        return False
    return name.replace('_', '-').title()


def request_headers(environ):
    headers = []
    names = _header_names
    for key, value in environ.items():
        name = names.get(key)
        if name is None:
            name = _header_name(key)
            if len(names) >= _HEADER_NAMES_KEPT:
                names.clear()
            names[key] = name
        if name is False or (not value and key in _CONTENT_KEYS):
            continue
        headers.append((name, str(value)))
    return headers


def content_length(environ):
    try:
        return int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        return None


def is_chunked(environ):
    return 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower()


# User-Agent -> caller, for the agents seen last (of a sane length: a
# client may send a 64 KiB one).
_callers = {}
_CALLERS_KEPT = 256
_CALLER_KEPT_LENGTH = 1024


def caller_from_user_agent(user_agent):
    kept = user_agent.__class__ is str and \
        len(user_agent) <= _CALLER_KEPT_LENGTH
    caller = _callers.get(user_agent) if kept else None
    if caller is None:
        caller = identity.caller_from_user_agent(user_agent) or ''
        if kept:
            if len(_callers) >= _CALLERS_KEPT:
                _callers.clear()
            _callers[user_agent] = caller
    return caller
