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

"""``requestshook serve --bind`` off loopback, for real, in a private
network namespace: it prints a token made for the run, answers 401
without it and 200 with it.

The namespace (``unshare --net``, root only) has its own loopback device
holding 10.254.0.1, so nothing listens on the machine's network.
Skipped where network namespaces cannot be made.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from requestshook.reading import sample

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ADDRESS = '10.254.0.1'

INSIDE = textwrap.dedent('''
    import json, re, subprocess, sys, urllib.error, urllib.request
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    subprocess.run(['ip', 'addr', 'add', sys.argv[2] + '/32', 'dev', 'lo'],
                   check=True)
    serve = subprocess.Popen(
        [sys.executable, '-m', 'requestshook.cmd.main', 'serve', '--log',
         sys.argv[1], '--bind', sys.argv[2] + ':8765'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        printed = [serve.stdout.readline().decode() for _ in range(2)]
        url = re.search(r'(http://\\S+)', printed[0]).group(1)
        base = url.split('?')[0]
        def status(address, headers=None):
            request = urllib.request.Request(address, headers=headers or {})
            try:
                return urllib.request.urlopen(request, timeout=10).status
            except urllib.error.HTTPError as error:
                return error.code
        token = url.split('token=')[1]
        print(json.dumps({
            'printed': printed,
            'without': status(base + 'api/flows'),
            'wrong': status(base + 'api/flows?token=wrong'),
            'with': status(base + 'api/flows',
                           {'Authorization': 'Bearer ' + token}),
        }))
    finally:
        serve.terminate()
        serve.wait(10)
''')


def test_non_loopback_bind_without_token_is_refused(tmp_path):
    log = tmp_path / 'rh.log'
    sample.image_list().write(str(log))
    probe = subprocess.run(['unshare', '--net', 'true'],
                           stderr=subprocess.PIPE)
    if probe.returncode != 0:
        pytest.skip('no network namespace (unshare --net needs root): %s'
                    % probe.stderr.decode(errors='replace').strip())
    done = subprocess.run(
        ['unshare', '--net', sys.executable, '-c', INSIDE, str(log),
         ADDRESS], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors='replace')
    result = json.loads(done.stdout.decode().splitlines()[-1])
    assert result['printed'][0].startswith(
        'requestshook: serving http://%s:8765/?token=' % ADDRESS)
    assert 'a token made for this run' in result['printed'][1]
    assert result['without'] == 401
    assert result['wrong'] == 401
    assert result['with'] == 200
