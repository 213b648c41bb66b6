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

import argparse
import gzip
import json
import os
import re

import pytest

from requestshook import event
from requestshook.cmd import read
from requestshook.cmd import read_commands
from requestshook.reading import sample


def _parser():
    parser = argparse.ArgumentParser(prog='requestshook')
    read.register(parser.add_subparsers(dest='command'))
    return parser


def run(*argv):
    args = _parser().parse_args(list(argv))
    return args.func(args)


@pytest.fixture
def log_path(tmp_path):
    create = sample.image_create(sample.LogMaker(start=1700000000.0))
    listing = sample.image_list(sample.LogMaker(start=1700000000.0021))
    events = sorted(create.events + listing.events, key=lambda r: r['ts'])
    path = tmp_path / 'requestshook.log'
    path.write_bytes(b''.join(event.encode(r) for r in events) +
                     b'{"v":1,"event":"respo\n')
    return str(path)


def test_flows_table(log_path, capsys):
    assert run('flows', log_path) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ['#', 'START', '(UTC)', 'ROOT', 'CALL',
                                'HOPS', 'SERVICES', 'DURATION', 'ERRORS',
                                'TRACE']
    assert re.match(r'^1  2023-11-14 22:13:20\.000  openstack: POST '
                    r'/image/v2/images +11  openstack, keystone, '
                    r'glance-api, swift-proxy-server +\d+ ms +0  '
                    r'[0-9a-f]{12}$', lines[1])
    assert 'openstack: GET /image/v2/images' in lines[2]
    assert err == ('requestshook: skipped 1 line that is not a whole '
                   'event (torn or not JSON)\n')


def test_flows_filters(log_path, capsys):
    assert run('flows', '--log', log_path, '--service',
               'SWIFT-proxy-server') == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 2 and 'POST /image' in out
    assert run('flows', log_path, '--grep', 'schemas/images') == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 2 and 'GET /image' in out


def test_flows_since(log_path, capsys):
    assert run('flows', log_path, '--since', '2023-11-14T22:13:20') == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert run('flows', log_path, '--since', '2023-11-15') == 1
    assert 'none of the 2 flows matches' in capsys.readouterr().err
    assert run('flows', log_path, '--since', 'yesterday') == 1
    assert "--since wants a UTC time" in capsys.readouterr().err


def test_since_timestamp():
    assert read_commands.since_timestamp('10m', now=1700000600.0) == \
        '2023-11-14T22:13:20.000000Z'
    assert read_commands.since_timestamp('2023-11-14 22:13') == \
        '2023-11-14T22:13:00.000000Z'
    assert read_commands.since_timestamp('2023-11-14T22:13:20.5Z') == \
        '2023-11-14T22:13:20.500000Z'


def test_flows_json(log_path, capsys):
    assert run('flows', log_path, '--json') == 0
    rows = [json.loads(line) for line in
            capsys.readouterr().out.splitlines()]
    assert [(r['index'], r['hops']) for r in rows] == [(1, 11), (2, 4)]


def test_diagram_of_a_chosen_flow(log_path, capsys):
    assert run('diagram', '1', log_path, '--variables') == 0
    out = capsys.readouterr().out
    assert out.startswith('sequenceDiagram\n    autonumber\n')
    assert out.count('->>') == 22
    assert out.endswith('| `account` | %s |\n' % sample.ACCOUNT)
    assert run('diagram', '--log', log_path, '--no-opt',
               '--no-placeholders', '--alias', 'openstack=cli') == 0
    out = capsys.readouterr().out
    assert 'participant openstack as cli' in out
    assert 'opt ' not in out and out.count('->>') == 8


def test_diagram_by_trace_prefix(log_path, capsys):
    with open(log_path, 'rb') as stream:
        trace = event.decode(stream.readline())['trace']
    assert run('diagram', trace[:7], log_path) == 0
    assert capsys.readouterr().out.count('->>') == 22


def test_clear_errors(tmp_path, log_path, capsys):
    assert run('diagram', 'last', str(tmp_path / 'none.log')) == 1
    err = capsys.readouterr().err
    assert err.startswith('requestshook: error: no such log file: %s ('
                          % (tmp_path / 'none.log'))
    assert 'requestshook record -- ' in err and err.endswith(')\n')
    assert run('diagram', '9', log_path) == 1
    assert 'no flow number 9: the log holds 2 flows' in \
        capsys.readouterr().err
    empty = tmp_path / 'empty.log'
    empty.write_bytes(b'')
    assert run('flows', str(empty)) == 1
    assert 'no flows in' in capsys.readouterr().err
    assert run('diagram', '--alias', 'oops', log_path) == 1
    assert '--alias wants NAME=LABEL' in capsys.readouterr().err


def test_markdown_log_har_html(tmp_path, log_path, capsys):
    assert run('markdown', '1', log_path) == 0
    assert capsys.readouterr().out.startswith('### (1) GET /identity\n')
    assert run('log', log_path) == 0     # a file where FLOW goes: last
    assert capsys.readouterr().out.startswith(
        '__openstack__ -> Request [1] GET http://10.0.0.11/identity\n')
    har = str(tmp_path / 'flow.har')
    assert run('har', '1', log_path, '-o', har) == 0
    with open(har) as stream:
        assert len(json.load(stream)['log']['entries']) == 11
    page = str(tmp_path / 'flow.html')
    assert run('html', log_path, '-o', page, '--title', 'list') == 0
    with open(page) as stream:
        assert '<title>list</title>' in stream.read()
    assert run('har', log_path, '-o', str(tmp_path / 'no' / 'f.har')) == 1
    assert 'no such directory' in capsys.readouterr().err


def test_doc(tmp_path, log_path, capsys):
    out_dir = str(tmp_path / 'page')
    assert run('doc', '1', log_path, '-o', out_dir, '--command',
               'openstack image create cirros') == 0
    written = capsys.readouterr().out.split()
    assert [os.path.basename(p) for p in written] == [
        'index.md', 'diagram.md', 'body.md', 'log.md', 'flow.html',
        'flow.har']
    with open(os.path.join(out_dir, 'index.md')) as stream:
        assert stream.readline() == '# openstack image create cirros\n'


def test_several_files_and_stdin(tmp_path, monkeypatch, capsys):
    create = sample.image_create()
    by_host = {}
    for record in create.events:
        by_host.setdefault(record['host'], []).append(record)
    paths = []
    for host, records in by_host.items():
        path = tmp_path / (host + '.log.gz')
        path.write_bytes(gzip.compress(b''.join(event.encode(r)
                                                for r in records)))
        paths.append(str(path))
    assert run('diagram', 'last', *paths) == 0
    assert capsys.readouterr().out.count('->>') == 22

    class Stdin(object):
        buffer = __import__('io').BytesIO(create.lines())
    monkeypatch.setattr('sys.stdin', Stdin)
    assert run('diagram', 'last', '-') == 0
    assert capsys.readouterr().out.count('->>') == 22


def test_tail(log_path, capsys):
    assert run('tail', log_path, '-n', '2') == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    # One line per hop, when its first response event (the server's) came.
    assert re.match(r'^22:13:21\.\d{3} openstack -> glance-api PUT '
                    r'/image/v2/images/%s/file 204 No Content [\d.]+ ms '
                    r'trace [0-9a-f]{8}$' % sample.IMAGE_ID, lines[-1])
    assert re.match(r'^22:13:2\d\.\d{3} glance-api -> swift-proxy-server PUT ',
                    lines[-2])


def test_help_teaches_with_examples(capsys):
    for name in ('flows', 'diagram', 'markdown', 'log', 'har', 'html',
                 'doc', 'tail'):
        with pytest.raises(SystemExit):
            _parser().parse_args([name, '--help'])
        out = capsys.readouterr().out
        assert 'examples:' in out and 'requestshook %s' % name in out


def test_log_files_may_follow_options(log_path, capsys):
    from requestshook.cmd import main
    assert main.main(['diagram', '1', '--variables', log_path]) == 0
    assert 'sequenceDiagram' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main.main(['diagram', '1', log_path, '--no-such-option'])
    assert 'unrecognized arguments: --no-such-option' in \
        capsys.readouterr().err
