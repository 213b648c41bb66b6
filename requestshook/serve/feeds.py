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

"""Where the served events come from, and the thread that indexes them.

A feed gives batches of ``(position, record)`` (:meth:`poll`), reads
events back by position (:meth:`read`) and says how far it got
(:meth:`progress`).  :class:`FileFeed` follows log files,
:class:`~requestshook.serve.redis_feed.RedisFeed` a Redis stream;
:class:`Indexer` polls a feed into the catalog until stopped.
"""

import threading

from requestshook import redisurl
from requestshook.reading import shape
from requestshook.reading import source as source_module
from requestshook.serve import files
from requestshook.serve import views


class FileFeed(object):
    """One or more log files, followed through logrotate."""

    def __init__(self, paths):
        files.check_paths(paths)
        self.generations = files.Generations()
        self.catalog = None
        self.logs = [files.FollowedLog(path, self.generations,
                                       self._retired) for path in paths]
        self.total = sum(log.size for log in self.logs)
        self.skipped = 0

    def attach(self, catalog):
        """The catalog decides when a retired generation can close."""
        self.catalog = catalog
        catalog.on_unused = self.generations.close

    def _retired(self, generation):
        if not generation.readable and self.catalog is not None:
            self.catalog.drop_generation(generation.number)
        if self.catalog is not None:
            self.catalog.retire(generation.number)
        else:
            self.generations.close(generation.number)

    def poll(self):
        batch = []
        for log in self.logs:
            for value, line in log.poll():
                try:
                    batch.append((value, shape.decode(line)))
                except ValueError:
                    self.skipped += 1
        return batch

    def read(self, positions):
        return views.read_events(self.generations, positions)

    def progress(self):
        read = sum(log.offset for log in self.logs)
        return read, max(self.total, read)

    def close(self):
        self.generations.close_all()


def open_feed(paths, source=None):
    """The feed for ``--log`` files or ``--source redis://...``."""
    if source:
        if not redisurl.is_redis_url(source):
            raise source_module.LogError(
                '--source wants a redis:// URL, not %r' % source)
        from requestshook.serve import redis_feed
        return redis_feed.RedisFeed(source)
    return FileFeed(paths)


MAX_RETRY_SECONDS = 10.0


class Indexer(threading.Thread):
    """Polls the feed into the catalog until :meth:`stop`."""

    def __init__(self, feed, catalog, interval=0.25):
        super(Indexer, self).__init__(name='requestshook-indexer',
                                      daemon=True)
        self.feed = feed
        self.catalog = catalog
        self.interval = interval
        self.stopping = threading.Event()
        self.error = None

    def run(self):
        indexing = True
        retry = self.interval
        while not self.stopping.is_set():
            try:
                batch = self.feed.poll()
                self.catalog.feed(batch)
            except Exception as exc:
                # Redis restarting, a file gone: said on the page, and
                # tried again a little later.
                self.error = '%s: %s' % (type(exc).__name__, exc)
                self.catalog.set_progress(0, 0, False)
                self.stopping.wait(retry)
                retry = min(retry * 2, MAX_RETRY_SECONDS)
                continue
            self.error = None
            retry = self.interval
            read, total = self.feed.progress()
            if not batch:
                indexing = False
            self.catalog.set_progress(read, total, indexing)
            if not batch:
                self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
