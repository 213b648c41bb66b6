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

import io

from requestshook import event
from requestshook.reading import index
from requestshook.reading import merge
from requestshook.reading import sample
from requestshook.reading import sample_compute
from requestshook.reading import source
from requestshook.render import mermaid
from requestshook.render import sequence as sequence_module


def _per_host(tmp_path, events, skews=None):
    """One log per host, as each host would have written it."""
    skews = skews or {}
    paths = []
    for host in sorted({r['host'] for r in events}):
        mine = [r for r in sample.shift_clock(events, host,
                                              skews.get(host, 0.0))
                if r['host'] == host]
        path = tmp_path / ('%s.log' % host)
        path.write_bytes(b''.join(event.encode(r) for r in mine))
        paths.append(str(path))
    return paths


def _diagram(paths):
    flow, _summaries = index.load_flow(source.LogSource(paths), 'last')
    return mermaid.render(sequence_module.Sequence(flow))


def test_hosts_logs_merged_read_as_the_one_log(tmp_path):
    events = sample_compute.server_create().events
    whole = tmp_path / 'whole.log'
    whole.write_bytes(b''.join(event.encode(r) for r in events))
    paths = _per_host(tmp_path, events, {'cmp1': -30.0, 'laptop': 30.0})
    assert len(paths) == 3
    out = io.BytesIO()
    counts = merge.merge(source.LogSource(paths), out)
    assert counts.written == len(events) and counts.repeated == 0
    merged = tmp_path / 'merged.log'
    merged.write_bytes(out.getvalue())
    expected = _diagram([str(whole)])
    assert _diagram([str(merged)]) == expected
    assert _diagram(paths) == expected
    stamps = [event.decode(line)['ts']
              for line in out.getvalue().splitlines()]
    assert stamps == sorted(stamps)


def test_an_event_given_twice_is_written_once(tmp_path):
    events = sample.image_list().events
    path = tmp_path / 'a.log'
    path.write_bytes(b''.join(event.encode(r) for r in events))
    out = io.BytesIO()
    counts = merge.merge(source.LogSource([str(path), str(path)]), out)
    assert (counts.written, counts.repeated) == (len(events), len(events))
    assert out.getvalue() == b''.join(event.encode(r) for r in events)


def test_lines_come_out_whole(tmp_path):
    events = sample.image_list().events
    first = tmp_path / 'a.log'
    first.write_bytes(event.encode(events[0]).rstrip(b'\n'))
    second = tmp_path / 'b.log'
    second.write_bytes(b'{"v":1,"event":"requ' +
                       b''.join(event.encode(r) for r in events[1:]))
    log = source.LogSource([str(first), str(second)])
    out = io.BytesIO()
    merge.merge(log, out)
    lines = out.getvalue().splitlines()
    assert [event.decode(line)['id'] for line in lines] == \
        [r['id'] for r in events]
    assert out.getvalue().endswith(b'\n')
    assert log.skipped == 1
