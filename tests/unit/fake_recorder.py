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


"""A stand-in for the recorder (:mod:`requestshook.recording.recorder`).

It has the recorder's per-call interface and keeps the events it is given
in a list, so tests see exactly what the hooks emitted.
"""


class FakeRecorder(object):

    def __init__(self, enabled=True, service_name=None, max_body_bytes=64,
                 dropped=(), callee='callee', emit_traceparent=False):
        self.is_enabled = enabled
        self.emit_traceparent = emit_traceparent
        self.service_name = service_name
        self.max_body_bytes = max_body_bytes
        self.dropped = set(dropped)   # (caller, callee, method, path)
        self.callee = callee
        self.events = []
        self.enabled_calls = 0
        self.asked = []

    def enabled(self):
        self.enabled_calls += 1
        return self.is_enabled

    def should_record(self, caller, callee, method, path, root=False):
        self.asked.append((caller, callee, method, path))
        return (caller, callee, method, path) not in self.dropped

    def callee_for_url(self, url):
        return self.callee

    def emit(self, event, closing=False):
        # As the recorder: dropped when disabled, unless it closes a call
        # whose opening event was kept.
        if not self.is_enabled and not closing:
            return False
        self.events.append(event)
        return True

    def kinds(self):
        return [(e['event'], e['side']) for e in self.events]
