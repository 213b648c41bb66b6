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


"""The callee's service name of an outbound call, remembered per URL.

:class:`_Callees` asks the recorder (``callee_for_url``, the url_map of
:mod:`requestshook.recording.servicemap`) once per URL origin and path
prefix, not once per call.
"""

from requestshook.recording import servicemap


class _Callees(object):
    """``recorder.callee_for_url``, remembered per URL origin and prefix.

    The url_map names a URL's service from its scheme, host, port and a
    path prefix matched on segment boundaries: URLs alike up to their
    first N path segments, N the most an entry's path has, get the same
    name.  Remembered per settings snapshot; a recorder without
    ``settings.url_map`` is asked every time.
    """

    LIMIT = 1024

    def __init__(self):
        # (settings, path segments that matter or None, {key: name})
        self._state = (None, None, {})

    def callee(self, recorder, url, parts):
        current = getattr(recorder, 'settings', None)
        settings, depth, names = self._state
        if current is not settings or current is None:
            url_map = getattr(current, 'url_map', None)
            if url_map is None:
                return recorder.callee_for_url(url)
            depth = self._depth(url_map)
            names = {}
            self._state = (current, depth, names)
        if depth is None:
            return recorder.callee_for_url(url)
        path = parts.path or '/'
        if depth:
            path = '/'.join(path.split('/', depth + 1)[:depth + 1])
        else:
            path = ''
        key = (parts.scheme, parts.netloc, path)
        name = names.get(key)
        if name is None:
            name = recorder.callee_for_url(url)
            if len(names) >= self.LIMIT:
                names.clear()
            names[key] = name
        return name

    @staticmethod
    def _depth(url_map):
        try:
            depth = 0
            for text in url_map:
                path = servicemap.parse_entry(text).path
                if path:
                    depth = max(depth, path.count('/'))
            return depth
        except Exception:
            return None     # the recorder kept another map: no shortcut
