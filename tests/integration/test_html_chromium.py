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

"""Render the HTML page in headless Chromium: the diagram must draw.

Checks what only a browser can: mermaid parses the generated diagram
(escaped text, opt blocks, failure arrows, notes), draws one message per
arrow, and a click on an arrow shows that step.  Skipped when Chromium is
absent, unless REQUESTSHOOK_REQUIRE_CHROMIUM=1.
"""

import html as html_text
import os
import re
import shutil
import subprocess

import pytest

from requestshook.reading import flow as flow_module
from requestshook.reading import sample
from requestshook.reading import sample_compute
from requestshook.render import html
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module

CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome')


def _chromium():
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get('REQUESTSHOOK_REQUIRE_CHROMIUM') == '1':
        pytest.fail('chromium is required (REQUESTSHOOK_REQUIRE_CHROMIUM=1) '
                    'but none of %s is on PATH' % ', '.join(CHROMIUM_NAMES))
    pytest.skip('chromium is not installed (Debian package `chromium`); '
                'set REQUESTSHOOK_REQUIRE_CHROMIUM=1 to fail instead')


def _dump_dom(tmp_path, page, fragment=''):
    path = tmp_path / 'flow.html'
    path.write_text(page, encoding='utf-8')
    profile = tmp_path / 'profile'
    command = [_chromium(), '--headless', '--no-sandbox', '--disable-gpu',
               '--disable-background-networking', '--no-first-run',
               '--disable-component-update', '--disable-sync',
               '--disable-dev-shm-usage',
               '--user-data-dir=%s' % profile,
               '--virtual-time-budget=30000', '--dump-dom',
               path.as_uri() + fragment]
    done = subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=180)
    assert done.returncode == 0, done.stderr.decode(errors='replace')[-2000:]
    # The DOM without the scripts' text (mermaid's own error strings).
    return re.sub(r'(<script[^>]*>).*?</script>', r'\1</script>',
                  done.stdout.decode('utf-8'), flags=re.S)


def _body_attribute(dom, name):
    match = re.search(r'<body[^>]*\b%s="([^"]*)"' % name, dom)
    return match.group(1) if match else None


def _tricky_flow():
    log = sample.LogMaker()
    with log.call('openstack', 'end', 'GET',
                  'http://h/v2/a;b/c?q="the end"&x=1#frag') as hop:
        with log.call('end', 'opt', 'POST', 'http://h/v3/auth/tokens',
                      parent=hop, status=201):
            pass
        with log.call('end', 'glance-api', 'GET', 'http://h/x%23y',
                      parent=hop, error='ConnectionError: <refused>; # end'):
            pass
        with log.call('end', 'glance-api', 'GET', 'http://h/hang',
                      parent=hop, answered=False):
            pass
    return log


def _rpc_failures():
    log = sample.LogMaker()
    with log.call('openstack', 'nova-api', 'POST', 'http://h/servers',
                  status=202) as create:
        build = sample_compute.cast(log, 'nova-api', 'nova-conductor',
                                    'conductor', 'build_instances',
                                    parent=create)
        sample_compute.cast(log, 'nova-api', 'nova-compute', 'compute',
                            'refresh', parent=create, fanout=True,
                            sides=('client',))
        lost = sample_compute.cast(log, 'nova-api', 'nova-conductor',
                                   'conductor', 'end', parent=create,
                                   sides=('client',))
        sample_compute.send_failed(log, lost, 'MessageDeliveryFailure; #')
    with sample_compute.dispatch(log, build, error='NoValidHost: end; #1'):
        with sample_compute.call(log, 'nova-conductor', 'nova-scheduler',
                                 'scheduler', 'select_destinations',
                                 parent=build,
                                 error='MessagingTimeout: <timed out>'):
            pass
        with sample_compute.call(log, 'nova-conductor', 'nova-scheduler',
                                 'scheduler', 'select_destinations',
                                 parent=build, answered=False):
            pass
    return log


@pytest.mark.parametrize('make', [sample.image_create, _tricky_flow,
                                  sample_compute.server_create,
                                  _rpc_failures],
                         ids=['image_create', 'tricky_text',
                              'server_create', 'rpc_failures'])
def test_diagram_renders_one_message_per_arrow(tmp_path, make):
    sequence = sequence_module.Sequence(flow_module.Flow(
        'trace', make().events))
    dom = _dump_dom(tmp_path, html.render(sequence), '#step-1')
    error = re.search(r'<div id="error">([^<]*)</div>', dom)
    assert error is not None and error.group(1) == ''
    assert 'Syntax error' not in dom and 'Parse error' not in dom
    assert _body_attribute(dom, 'data-state') == 'rendered'
    drawn = [html_text.unescape(text) for text in re.findall(
        r'class="messageText[^"]*"[^>]*>(.*?)</text>', dom)]
    names = mermaid.placeholders_for(sequence)
    assert drawn == [mermaid.message_label(arrow, names)
                     for arrow in sequence.arrows]
    assert _body_attribute(dom, 'data-messages') == str(len(drawn))
    assert dom.count('class="messageText rh-selected"') == 1
    # #step-1 clicked the first arrow: its request is shown.
    first = sequence.arrows[0].hop
    assert '<h3>(1) %s ' % first.method in dom
    assert '<h4>Request: %s http://' % first.method in dom


def test_broken_diagram_is_reported(tmp_path):
    sequence = sequence_module.Sequence(flow_module.Flow(
        'trace', sample.image_list().events))
    page = html.render(sequence).replace(
        'sequenceDiagram\\n', 'sequenceDiagram\\n    participant ;;\\n', 1)
    dom = _dump_dom(tmp_path, page)
    assert _body_attribute(dom, 'data-state') == 'error'
    assert 'The diagram could not be drawn' in dom


def test_clicking_a_cast_shows_its_arguments(tmp_path):
    sequence = sequence_module.Sequence(flow_module.Flow(
        'trace', sample_compute.server_create().events))
    cast = next(m for m in sequence.arrows if m.hop.is_cast)
    dom = _dump_dom(tmp_path, html.render(sequence),
                    '#step-%d' % cast.number)
    assert _body_attribute(dom, 'data-state') == 'rendered'
    assert '<h3>(%d) cast build_instances</h3>' % cast.number in dom
    assert '<h4>Request: CAST rpc://nova/conductor/build_instances</h4>' \
        in dom
    assert 'A cast: nova-api goes on without waiting' in dom
    assert '&quot;admin_password&quot;: &quot;***&quot;' in dom or \
        '"admin_password": "***"' in dom
    selected = re.findall(r'class="messageText rh-selected"[^>]*>(.*?)</text>',
                          dom)
    assert selected == ['cast build_instances']
