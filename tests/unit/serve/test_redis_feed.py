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

"""``serve --source redis://``: the same list and pages as from files."""

import json
import time
import urllib.request

from requestshook import event
from requestshook.reading import sample
from requestshook.serve import access as access_module
from requestshook.serve import app
from requestshook.serve import feeds
from requestshook.serve import redis_feed
from tests.unit.recording.sinks import conftest

redis_server = conftest.redis_server


def test_entry_ids_pack_into_positions():
    for ident in ('1700000000123-0', '1700000000123-7', '0-1'):
        assert redis_feed.entry_id(redis_feed.position(ident)) == ident
    assert redis_feed.position(b'5-1') == (5 << 20) | 1


def _serve(feed):
    server = app.start(feed, access_module.Access('127.0.0.1', 0))
    deadline = time.monotonic() + 10
    while server.catalog.progress['indexing']:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return server


def _get(server, path):
    url = 'http://127.0.0.1:%d%s' % (server.server_address[1], path)
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _fill(client, records):
    for record in records:
        client.xadd('requestshook', {'event': event.encode(record)})


def test_redis_stream_serves_what_the_file_serves(tmp_path, redis_server):
    log = sample.image_create()
    sample.image_list(log)
    path = log.write(str(tmp_path / 'rh.log'))
    client = redis_server.client()
    _fill(client, log.events)
    from_redis = _serve(feeds.open_feed([], redis_server.url))
    from_file = _serve(feeds.open_feed([path]))
    try:
        listed = _get(from_redis, '/api/flows')
        assert listed['flows'] == _get(from_file, '/api/flows')['flows']
        for row in listed['flows']:
            page = '/api/flows/' + row['key']
            assert _get(from_redis, page) == _get(from_file, page)
        # Entries added later reach the list.
        later = sample.image_list(sample.LogMaker(start=1700000900.0))
        _fill(client, later.events)
        deadline = time.monotonic() + 10
        while _get(from_redis, '/api/flows')['total'] < 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert _get(from_redis, '/api/flows')['flows'][0]['key'] == \
            later.events[0]['trace']
    finally:
        from_redis.stop()
        from_file.stop()
