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

import gzip

from requestshook import event
from requestshook.cmd import main
from requestshook.reading import sample
from requestshook.reading import sample_compute


def _host_logs(tmp_path):
    events = sample_compute.server_create().events
    paths = []
    for host, skew in (('ctl1', 0.0), ('cmp1', -30.0), ('laptop', 30.0)):
        path = tmp_path / ('%s.log' % host)
        path.write_bytes(b''.join(
            event.encode(r) for r in sample.shift_clock(events, host, skew)
            if r['host'] == host))
        paths.append(str(path))
    return events, paths


def test_merge_writes_one_log_that_reads_as_the_hosts_logs(
        tmp_path, capsys):
    events, paths = _host_logs(tmp_path)
    out = str(tmp_path / 'cloud.log')
    assert main.main(['merge'] + paths + ['-o', out]) == 0
    assert capsys.readouterr().err == (
        'requestshook: wrote %d events from 3 files to %s\n'
        % (len(events), out))
    assert main.main(['diagram', out]) == 0
    from_merged = capsys.readouterr().out
    assert main.main(['diagram', 'last'] + paths) == 0
    from_hosts = capsys.readouterr().out
    assert from_merged == from_hosts
    assert 'nova_api-)nova_conductor: cast build_instances' in from_merged
    assert main.main(['flows', out]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 2
    assert 'openstack: POST /compute/v2.1/servers' in listing[1]


def test_merge_to_stdout_and_gzip(tmp_path, capsys):
    events, paths = _host_logs(tmp_path)
    assert main.main(['merge'] + paths) == 0
    captured = capsys.readouterr()
    assert captured.err == ''
    assert len(captured.out.splitlines()) == len(events)
    packed = str(tmp_path / 'cloud.log.gz')
    assert main.main(['merge'] + paths + paths[:1] + ['-o', packed]) == 0
    assert 'repeated events left out' in capsys.readouterr().err
    with gzip.open(packed) as stream:
        assert len(stream.read().splitlines()) == len(events)
    assert not (tmp_path / 'cloud.log.gz.partial').exists()


def test_merge_refuses_to_overwrite_an_input(tmp_path, capsys):
    _events, paths = _host_logs(tmp_path)
    before = open(paths[0], 'rb').read()
    assert main.main(['merge'] + paths + ['-o', paths[0]]) == 1
    assert 'is both read and written' in capsys.readouterr().err
    assert open(paths[0], 'rb').read() == before


def test_merge_missing_file(tmp_path, capsys):
    missing = str(tmp_path / 'nope.log')
    assert main.main(['merge', missing, '-o',
                      str(tmp_path / 'out.log')]) == 1
    assert 'no such log file: %s' % missing in capsys.readouterr().err
    assert not (tmp_path / 'out.log').exists()
