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

"""The one interface every sink implements (as osprofiler's drivers do).

A sink receives each event as the one redacted JSON line the recorder
made of it (bytes ending in a newline): redaction happens before any
sink sees an event.  ``write`` is called on the request path: it must
never block on the network and never raise.
"""


class MissingDependency(Exception):
    """A sink needs a package that is not installed."""


class Sink(object):
    """Where events go."""

    #: The name operators see in reports ("file", "redis", "otlp").
    kind = 'sink'

    def write(self, line):
        """Take one event line; True when it was kept.  Never raises."""
        raise NotImplementedError()

    def flush(self, timeout=None):
        """Wait up to ``timeout`` seconds until what was taken is sent.

        Returns True when nothing is left.
        """
        return True

    def close(self):
        """Send what can still be sent and let go of every resource."""

    def describe(self):
        """Where this sink sends, secrets masked (for reports)."""
        return self.kind


def require(module_name, package, sink):
    """Import ``module_name`` or raise :class:`MissingDependency`."""
    import importlib
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise MissingDependency(
            'the %s sink needs the %s package (pip install %s): %s'
            % (sink, package, package, exc))
