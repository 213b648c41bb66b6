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


"""What the hooks of one process share: settings, failures, writing.

:data:`_settings` holds what the process told the hooks (the recorder,
its service name, one trace or not, the hmac keys); the outbound hook
(:mod:`requestshook.capture.outbound`) fills it, the RPC hook
(:mod:`requestshook.capture.rpc`) reads it.  :func:`_internal_failure`
reports the outbound hook's own failures once each.  :func:`emit` is how
both hooks write an event: never re-entered on one thread.
"""

import collections
import threading

from requestshook.capture import identity
from requestshook.recording import report

_REPORTER = report.Reporter()


class _Settings(object):
    """What the process told the hook: recorder, name, one trace or not."""

    def __init__(self):
        self.lock = threading.Lock()
        self.installed = False
        self.recorder = None
        self.service_name = None
        self.one_trace = False
        self.process_name = None
        # The first key signs the ids sent; each verifies what arrives.
        self.hmac_key = None
        self.hmac_keys = ()


_settings = _Settings()


def _internal_failure(where, exc):
    _REPORTER.failed(
        'outbound', (where, type(exc).__name__),
        'requestshook failed in the outbound hook (%s: %s: %s); the call '
        'goes on unrecorded.', where, type(exc).__name__, exc)


class _Writing(threading.local):
    active = False      # this thread is inside emit


_writing = _Writing()
_deferred = collections.deque()


def emit(recorder, record, closing=False):
    """``recorder.emit(record)``, never re-entered on one thread.

    The garbage collector may collect a response, and so write its event,
    on any allocation: also inside an emit, while this thread holds the
    log's lock.  Such an event waits in a queue until that emit returns.
    Both hooks write their events through here.

    ``closing``: the closing event of a call whose opening event was
    kept, written even if recording was switched off meanwhile.  Returns
    False when the recorder dropped the event (recording was off).
    """
    if _writing.active:
        _deferred.append((recorder, record, closing))
        return True
    _writing.active = True
    try:
        kept = _emit(recorder, record, closing)
        while _deferred:
            try:
                queued = _deferred.popleft()
            except IndexError:
                break
            _emit(*queued)
    finally:
        _writing.active = False
    return kept


def _emit(recorder, record, closing):
    if closing:
        return recorder.emit(record, closing=True) is not False
    return recorder.emit(record) is not False


def _process_name():
    if _settings.process_name is None:
        _settings.process_name = identity.service_name()
    return _settings.process_name


def own_service_name(recorder):
    """The name this process records its calls under.

    The name the process gave the hooks, else the configured one, else
    the one made from the process (:mod:`requestshook.capture.identity`).
    """
    return (_settings.service_name or recorder.service_name
            or _process_name())
