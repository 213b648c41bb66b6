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

"""The redis sink: every event is one entry of one Redis stream.

``XADD <redis_stream> MAXLEN ~ <redis_maxlen> * event <line>``, a batch
per pipeline round trip, from the sender thread (:mod:`.queue`).  The
URL forms (redis, rediss, unix, redis+sentinel, redis+cluster) are
:mod:`requestshook.redisurl`'s.

redis-py is imported only when a redis sink is configured.
"""

from requestshook.recording.sinks import base
from requestshook.recording.sinks import queue
from requestshook import redisurl

FIELD = redisurl.FIELD
SCHEMES = redisurl.SCHEMES
mask_url = redisurl.mask_url


class RedisSink(queue.QueuedSink):
    """XADD each event line to one stream, capped (approximately)."""

    kind = 'redis'

    def __init__(self, url, stream='requestshook', maxlen=1000000,
                 capacity=10000, reporter=None, flush_timeout=2.0):
        redisurl.check_url(url)
        base.require('redis', 'redis', 'redis')
        super(RedisSink, self).__init__(capacity, reporter, flush_timeout)
        self.url = url
        self.stream = stream
        self.maxlen = maxlen or None
        self._client = None

    def describe(self):
        return 'redis %s stream %s' % (mask_url(self.url), self.stream)

    def connect(self):
        client = redisurl.client_for(self.url)
        client.ping()
        self._client = client

    def send(self, lines):
        pipeline = self._client.pipeline(transaction=False)
        for line in lines:
            pipeline.xadd(self.stream, {FIELD: line}, maxlen=self.maxlen,
                          approximate=True)
        pipeline.execute()

    def disconnect(self):
        client, self._client = self._client, None
        if client is not None:
            client.close()
