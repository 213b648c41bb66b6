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

"""The file sink: the shared log (:mod:`requestshook.recording.sharedlog`).

It writes on the request thread, one ``write()`` of one whole line: the
safest sink, and the default.
"""

from requestshook.recording import sharedlog
from requestshook.recording.sinks import base


class FileSink(sharedlog.SharedLog, base.Sink):
    """The shared log as a sink."""

    kind = 'file'

    def describe(self):
        return 'file %s' % self.path
