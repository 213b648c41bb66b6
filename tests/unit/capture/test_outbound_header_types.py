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


"""The header types the hook reads from storage, with urllib3 1.x too."""

import types

import requests.structures
import urllib3
import urllib3.response

from requestshook.capture import hookstate
from requestshook.capture import outbound
from requestshook.capture import outbound_response


class _Reporter(object):
    def __init__(self):
        self.failures = []

    def failed(self, *args):
        self.failures.append(args)


def test_urllib3_1_header_dict_is_known_without_a_failure(monkeypatch):
    # urllib3 1.26 (which requests>=2.25 allows) has no top-level
    # HTTPHeaderDict; its responses' headers are urllib3.response's.
    monkeypatch.delattr(urllib3, 'HTTPHeaderDict')
    reporter = _Reporter()
    monkeypatch.setattr(hookstate, '_REPORTER', reporter)
    monkeypatch.setattr(outbound_response, '_CASE_INSENSITIVE_DICT', None)
    monkeypatch.setattr(outbound_response, '_HTTP_HEADER_DICT', None)

    class Adapter(object):
        def send(self, request, **kwargs):
            return None

    outbound._patch_adapters(types.SimpleNamespace(HTTPAdapter=Adapter))
    assert reporter.failures == []
    assert outbound_response._CASE_INSENSITIVE_DICT is \
        requests.structures.CaseInsensitiveDict
    assert outbound_response._HTTP_HEADER_DICT is \
        urllib3.response.HTTPHeaderDict
