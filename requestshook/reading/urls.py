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

"""URLs of the log split as urllib does, never raising.

A server side's URL is made from the Host header any client sends;
``urllib.parse.urlsplit`` raises on some (``[::1``, ``[abc]``), and one
such line must not stop a reader.  The host of an URL that does not
split is percent-quoted, so the path and query are what they were.
"""

import urllib.parse


def split(url):
    """``urllib.parse.urlsplit(url)``; a host it refuses is quoted."""
    url = url or ''
    try:
        return urllib.parse.urlsplit(url)
    except ValueError:
        scheme, sep, rest = url.partition('://')
        if not sep:
            scheme, rest = '', url
        netloc, slash, path = rest.partition('/')
        return urllib.parse.urlsplit(
            scheme + sep + urllib.parse.quote(netloc, safe='') + slash +
            path)
