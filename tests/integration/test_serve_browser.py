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

"""``requestshook serve`` in a real browser, on a log being written.

Playwright for Python drives Debian's chromium (never a downloaded
browser): a live process writes a log; ``requestshook serve`` serves it;
a new flow appears in the list without a reload; its page draws the
diagram and a click on an arrow shows the body; a flow is found by its
x-openstack-request-id.  Skipped without chromium or playwright, unless
REQUESTSHOOK_REQUIRE_CHROMIUM=1.

With REQUESTSHOOK_UPDATE_SCREENSHOT=1 the flow page and the list are
saved as doc/source/images/serve.png and serve-list.png, the screenshots
README.rst and doc/source/serve.rst show.
"""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
                 '--disable-quic', '--no-first-run',
                 '--disable-background-networking',
                 '--disable-component-update', '--disable-sync',
                 '--disable-dev-shm-usage']
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
IMAGES = os.path.join(ROOT, 'doc', 'source', 'images')
SCREENSHOTS = os.environ.get('REQUESTSHOOK_UPDATE_SCREENSHOT') == '1'

# The live process: writes `openstack image create` at once, then, when
# told (a file appears), `openstack image list`, one line at a time.
WRITER = textwrap.dedent('''
    import os, sys, time
    from requestshook.reading import sample
    log_path, go_path = sys.argv[1], sys.argv[2]
    first = sample.image_create()
    with open(log_path, 'ab') as stream:
        stream.write(first.lines())
    later = sample.image_list(sample.LogMaker(start=1700000100.0))
    while not os.path.exists(go_path):
        time.sleep(0.05)
    with open(log_path, 'ab', buffering=0) as stream:
        for line in later.lines().splitlines(True):
            stream.write(line)
            time.sleep(0.02)
    print('written', flush=True)
''')


def _playwright():
    required = os.environ.get('REQUESTSHOOK_REQUIRE_CHROMIUM') == '1'
    try:
        from playwright import sync_api
    except ImportError:
        if required:
            pytest.fail('playwright is required '
                        '(REQUESTSHOOK_REQUIRE_CHROMIUM=1): pip install '
                        'playwright')
        pytest.skip('playwright is not installed (pip install playwright; '
                    'it drives the system chromium, no browser download)')
    if not os.access(CHROMIUM, os.X_OK):
        if required:
            pytest.fail('chromium is required '
                        '(REQUESTSHOOK_REQUIRE_CHROMIUM=1) but %s is '
                        'missing' % CHROMIUM)
        pytest.skip('chromium is not installed (Debian package '
                    '`chromium`); set REQUESTSHOOK_REQUIRE_CHROMIUM=1 to '
                    'fail instead')
    return sync_api


def _start_serve(log_path):
    process = subprocess.Popen(
        [sys.executable, '-m', 'requestshook.cmd.main', 'serve',
         '--log', str(log_path), '--bind', '127.0.0.1:0'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    line = process.stdout.readline().decode()
    # The address printed holds the token made for the run.
    match = re.search(r'serving (http://127\.0\.0\.1:\d+/\?token=\S+)',
                      line)
    if not match:
        process.kill()
        _out, err = process.communicate(timeout=10)
        pytest.fail('serve did not start: %r %s' % (line, err.decode()))
    return process, match.group(1)


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _request_id(log_path, path_end):
    """The x-openstack-request-id of the first response to PATH_END."""
    with open(log_path, 'rb') as stream:
        for line in stream:
            record = json.loads(line)
            if record['event'] == 'response' and \
                    record['url'].endswith(path_end):
                for name, value in record['headers']:
                    if name.lower() == 'x-openstack-request-id':
                        return record['trace'], value
    raise AssertionError('no response to %s in the log' % path_end)


def test_live_list_flow_page_arrow_body_and_request_id(tmp_path):
    sync_api = _playwright()
    log_path = tmp_path / 'requestshook.log'
    go_path = tmp_path / 'go'
    writer = subprocess.Popen([sys.executable, '-c', WRITER, str(log_path),
                               str(go_path)], cwd=ROOT,
                              stdout=subprocess.PIPE)
    serve = None
    try:
        deadline = time.monotonic() + 30
        while not (log_path.exists() and log_path.stat().st_size):
            assert time.monotonic() < deadline, 'the writer wrote nothing'
            time.sleep(0.05)
        serve, url = _start_serve(log_path)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={'width': 1400,
                                                  'height': 1000})
                _exercise(page, url, log_path, go_path, writer)
            finally:
                browser.close()
    finally:
        if serve is not None:
            _stop(serve)
        _stop(writer)


def _exercise(page, url, log_path, go_path, writer):
    base = url.split('?')[0]
    page.goto(url)
    # The token moved to a cookie: out of the address bar, still sent.
    assert page.url == base
    page.wait_for_selector('body[data-state="listed"][data-live="yes"]')
    rows = page.locator('#flows tbody tr')
    assert rows.count() == 1
    assert 'POST /image/v2/images' in rows.first.inner_text()
    page.evaluate('window.rhNotReloaded = true')

    # A new flow, written while the page is open, appears on its own.
    go_path.write_text('go')
    assert writer.stdout.readline().strip() == b'written'
    # (wait_for_function would evaluate a string: the page's CSP forbids)
    rows.nth(1).wait_for(timeout=20000)
    assert page.evaluate('window.rhNotReloaded') is True
    newest = rows.first
    # The row comes with the flow's first events (keystone's); its label
    # names the image call once those events have arrived too.
    from playwright.sync_api import expect
    expect(newest).to_contain_text('GET /image/v2/images', timeout=20000)
    if SCREENSHOTS:
        os.makedirs(IMAGES, exist_ok=True)
        page.screenshot(path=os.path.join(IMAGES, 'serve-list.png'),
                        clip={'x': 0, 'y': 0, 'width': 1400,
                              'height': 220})

    # Its page: the diagram; a click on an arrow shows the body.
    newest.click()
    page.wait_for_selector('body[data-view="flow"][data-state="rendered"]')
    arrows = page.locator('#diagram text.messageText')
    assert arrows.count() == int(page.get_attribute('body',
                                                    'data-messages'))
    labels = arrows.all_text_contents()
    assert labels[0] == 'GET /identity'
    arrows.nth(labels.index('GET /image/v2/images')).click()
    # The flow may have been opened before the server read its last
    # events: the page then redraws it as they arrive, keeping the step.
    page.locator('#details pre.body',
                 has_text='cirros-0.6.1-x86_64-disk').wait_for(timeout=20000)
    shown = page.inner_text('#details')
    assert '(5) GET /image/v2/images' in shown
    assert '"cirros-0.6.1-x86_64-disk"' in shown   # the response body
    assert 'X-Openstack-Request-Id' in shown
    assert page.locator('#download-har').get_attribute('href').endswith(
        '/har')
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(IMAGES, 'serve.png'),
                        full_page=True)

    # Find the first flow by a request id a service logged.
    trace, request_id = _request_id(log_path, '/v2/images')
    page.goto(base + '#/')
    page.wait_for_selector('body[data-state="listed"]')
    page.fill('#find-id', request_id.upper())
    page.click('#find button')
    page.wait_for_url(re.compile(r'.*#/flow/%s$' % trace))
    page.wait_for_selector('body[data-view="flow"][data-state="rendered"]')
    assert page.inner_text('#flow-title') == \
        'openstack: POST /image/v2/images'
