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


"""The inbound hop being served, per thread and per greenthread.

The inbound filter sets it while the application runs (and around each
step of the application iterator); the outbound hook reads it to give the
calls it makes their trace and parent.  A ``contextvars.ContextVar`` is
per thread, per asyncio task and, with greenlet >= 0.4.17, per
greenthread (eventlet services).

Calls made outside any inbound hop (a CLI, a daemon's periodic task) are
roots; :func:`root_trace` gives their trace id.
"""

import collections
import contextvars
import os
import threading

from requestshook import event

TRACE_ID_ENV = 'REQUESTSHOOK_TRACE_ID'

Hop = collections.namedtuple('Hop', ['trace', 'hop_id', 'service'])

_current_hop = contextvars.ContextVar('requestshook_hop', default=None)
# The variable itself, for code that sets and resets the hop around each
# of many steps (body.ObservedAppIter, once per chunk of a streamed body):
# its own set() and reset(), without a Python call around them.
CURRENT_HOP = _current_hop


def current():
    """The :class:`Hop` being served here, or ``None``."""
    return _current_hop.get()


def set_hop(hop):
    """Make ``hop`` current; returns the token for :func:`reset`."""
    return _current_hop.set(hop)


def reset(token):
    """Undo the :func:`set_hop` that returned ``token``."""
    _current_hop.reset(token)


class Serving(object):
    """Context manager making a hop current; may be entered many times.

    Entered around the application call and around each step of the
    application iterator, which may run on another thread or greenthread
    than the call did.
    """

    __slots__ = ('hop', '_tokens')

    def __init__(self, hop):
        self.hop = hop
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_current_hop.set(self.hop))
        return self.hop

    def __exit__(self, *exc_info):
        token = self._tokens.pop()
        try:
            _current_hop.reset(token)
        except ValueError:
            # Entered in another context (another greenthread); leave ours.
            _current_hop.set(None)
        return False


class _RootTrace(object):
    """One trace id per process (re-made after fork)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._trace = None

    def get(self):
        pid = os.getpid()
        if self._pid != pid:
            with self._lock:
                if self._pid != pid:
                    self._trace = event.new_id()
                    self._pid = pid
        return self._trace


_process_trace = _RootTrace()


def root_trace(one_trace=False):
    """The trace id of a call made outside any inbound hop.

    ``REQUESTSHOOK_TRACE_ID`` when set (``requestshook record`` sets it so
    one CLI run is one flow), else this process's own trace when
    ``one_trace``, else a new trace for each root call.
    """
    trace = os.environ.get(TRACE_ID_ENV)
    if trace:
        return trace
    if one_trace:
        return _process_trace.get()
    return event.new_id()


def caller_ids(one_trace, own_name):
    """``(trace, parent, caller)`` of a call this process makes now.

    Inside the hop being served: its trace, its id as the parent and its
    service as the caller.  Outside any: a root call (see
    :func:`root_trace`), named ``own_name()``.
    """
    hop = current()
    if hop is not None:
        return hop.trace, hop.hop_id, hop.service
    return root_trace(one_trace), None, own_name()
