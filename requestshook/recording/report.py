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


"""Report a failure once, not once per request.

Everything requestshook does inside a service runs on the request path: a
log that cannot be written or a broken filter file would otherwise flood
the service's own log.  A :class:`Reporter` logs the first occurrence of
each kind of failure (through oslo.log, so it lands in the service's log)
and stays silent on repeats until :meth:`Reporter.resolved` says the kind
works again.
"""

import threading

from oslo_log import log as logging

LOG = logging.getLogger('requestshook')


class Reporter(object):
    """Logs each failure kind once; ``resolved`` re-arms a category."""

    def __init__(self, logger=None):
        self._logger = logger or LOG
        self._reported = set()
        self._lock = threading.Lock()

    def failed(self, category, detail, message, *args):
        """Log ``message % args`` unless ``(category, detail)`` was logged.

        ``category`` groups kinds that recover together (``"open"``);
        ``detail`` tells kinds in it apart (a path, an errno name).
        Returns True when the message was logged.
        """
        key = (category, detail)
        with self._lock:
            if key in self._reported:
                return False
            self._reported.add(key)
        self._logger.error(message, *args)
        return True

    def resolved(self, category, message=None, *args):
        """Forget the kinds of ``category``; log ``message`` if any were."""
        with self._lock:
            keys = [key for key in self._reported if key[0] == category]
            if not keys:
                return False
            self._reported.difference_update(keys)
        if message:
            self._logger.warning(message, *args)
        return True

    def pending(self, category):
        """True while a failure of ``category`` is reported, unresolved."""
        with self._lock:
            return any(key[0] == category for key in self._reported)

    def after_fork(self):
        """Give a forked child a fresh lock (the parent's may be held)."""
        self._lock = threading.Lock()
