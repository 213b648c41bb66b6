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


"""The outbound hook's remembered callees name every URL as the recorder."""

import itertools
import os
import urllib.parse

import pytest

from requestshook.capture import outbound_callees
from requestshook.recording import recorder as recorder_module

URL_MAPS = [
    (),
    (':8080=swift', '/identity=keystone', '/image=glance', ':5000=ks'),
    ('/a/b=ab', '/a=a', 'host1/a/b/c=abc', 'HOST2:81=two', '/=root'),
    ('[::1]:9=six', 'example.org=example', 'example.org/x=ex'),
]

ORIGINS = ['http://127.0.0.1', 'http://127.0.0.1:8080', 'https://host1',
           'http://host1',
           'http://HOST2:81', 'http://host2:81', 'http://[::1]:9',
           'http://user:secret@example.org', 'https://example.org:443',
           'http://host1:99999', 'HTTP://host1:80']
PATHS = ['', '/', '/identity', '/identity/', '/identity/v3/auth',
         '/identityx', '/image/v2/images?name=x', '/a', '/a/', '/a/b',
         '/a/bc', '/a/b/c', '/a/b/c/d', '/a//b', '//a/b', '/x', '/x/y',
         '/xy', '?q=/a/b', '#/a']


def _recorder(tmp_path, url_map, clock=None):
    kwargs = {'clock': clock} if clock else {}
    return recorder_module.Recorder(
        str(tmp_path / 'absent.conf'),
        {'url_map': list(url_map), 'log_file': str(tmp_path / 'log')},
        **kwargs)


@pytest.mark.parametrize('url_map', URL_MAPS)
def test_remembered_names_are_the_recorders(tmp_path, url_map):
    recorder = _recorder(tmp_path, url_map)
    callees = outbound_callees._Callees()
    urls = [origin + path
            for origin, path in itertools.product(ORIGINS, PATHS)]
    try:
        # Twice each, in two orders: asked first and remembered.
        for url in urls + urls[::-1]:
            parts = urllib.parse.urlsplit(url)
            assert callees.callee(recorder, url, parts) == \
                recorder.callee_for_url(url), url
    finally:
        recorder.close()


def test_a_new_url_map_is_used_at_once(tmp_path):
    config = tmp_path / 'requestshook.conf'
    config.write_text('[DEFAULT]\nurl_map = :7777=first\n')
    now = [0.0]
    recorder = recorder_module.Recorder(
        str(config), {'log_file': str(tmp_path / 'log')},
        clock=lambda: now[0])
    callees = outbound_callees._Callees()
    url = 'http://10.0.0.5:7777/x'
    parts = urllib.parse.urlsplit(url)
    try:
        assert callees.callee(recorder, url, parts) == 'first'
        fresh = tmp_path / 'fresh.conf'
        fresh.write_text('[DEFAULT]\nurl_map = :7777=second\n')
        os.replace(str(fresh), str(config))
        now[0] += 5
        assert callees.callee(recorder, url, parts) == 'second'
    finally:
        recorder.close()


def test_a_recorder_without_settings_is_asked_each_time():
    class Asked(object):
        def __init__(self):
            self.urls = []

        def callee_for_url(self, url):
            self.urls.append(url)
            return 'callee-%d' % len(self.urls)

    asked = Asked()
    callees = outbound_callees._Callees()
    url = 'http://127.0.0.1/x'
    parts = urllib.parse.urlsplit(url)
    assert callees.callee(asked, url, parts) == 'callee-1'
    assert callees.callee(asked, url, parts) == 'callee-2'


def test_remembered_names_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(outbound_callees._Callees, 'LIMIT', 8)
    recorder = _recorder(tmp_path, ())
    callees = outbound_callees._Callees()
    try:
        for port in range(1, 50):
            url = 'http://127.0.0.1:%d/' % port
            assert callees.callee(recorder, url, urllib.parse.urlsplit(
                url)) == '127.0.0.1:%d' % port
            assert len(callees._state[2]) <= 8
    finally:
        recorder.close()
