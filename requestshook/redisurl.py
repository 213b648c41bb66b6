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

"""Redis URLs as requestshook writes and reads them (both sides use it).

- ``redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]``, ``rediss://`` (TLS),
  ``unix://[[USER]:PASSWORD@]/PATH?db=DB``: redis-py's own
  ``Redis.from_url``;
- ``redis+sentinel://[:PASSWORD@]HOST:PORT[;HOST:PORT...]/SERVICE[/DB]``:
  the master the Sentinels name for SERVICE (``;`` separates sentinels,
  since the ``sinks`` option is a comma separated list);
- ``redis+cluster://[:PASSWORD@]HOST:PORT``: a Redis Cluster through
  redis-py's ``RedisCluster`` (a stream lives on one shard).

A ``stream=NAME`` query parameter names the stream (the reader's
``--source``); it is not passed to redis-py.  redis-py is imported only
when a client is made.
"""

import importlib
import urllib.parse

SCHEMES = ('redis', 'rediss', 'unix', 'redis+sentinel', 'redis+cluster')
FIELD = 'event'
DEFAULT_STREAM = 'requestshook'
CONNECT_TIMEOUT = 2.0
SOCKET_TIMEOUT = 5.0


class MissingRedis(ImportError):
    """redis-py is not installed."""


def import_redis(module='redis'):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingRedis('Redis needs the redis package (pip install '
                           'redis): %s' % exc)


def is_redis_url(url):
    return urllib.parse.urlsplit(url or '').scheme in SCHEMES


# Query parameters whose value is a secret (redis-py reads ``password``
# and ``sentinel_password`` there; an OTLP endpoint may carry a key).
_SECRET_QUERY_WORDS = ('pass', 'secret', 'token', 'key', 'auth', 'cred',
                       'signature')


def _secret_name(name):
    name = name.lower()
    return any(word in name for word in _SECRET_QUERY_WORDS)


def mask_url(url):
    """``url`` with its password and secret query values as ``***``.

    A URL that does not parse is shown by its scheme alone.
    """
    url = url or ''
    try:
        parts = urllib.parse.urlsplit(url)
        password = parts.password
    except ValueError:
        scheme = url.partition('://')[0]
        return '%s://***' % scheme if scheme.isalnum() else '***'
    netloc = parts.netloc
    if password is not None:
        netloc = '%s:***@%s' % (parts.username or '',
                                netloc.rpartition('@')[2])
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(_secret_name(name) for name, _value in pairs):
            query = '&'.join(
                '%s=%s' % (urllib.parse.quote(name, safe=''),
                           '***' if _secret_name(name) else
                           urllib.parse.quote(value, safe=''))
                for name, value in pairs)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urllib.parse.urlunsplit(
        (parts.scheme, netloc, parts.path, query, parts.fragment))


def split_stream(url, default=DEFAULT_STREAM):
    """``(url without stream=, stream name)``."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    stream = default
    kept = []
    for name, value in query:
        if name == 'stream':
            stream = value or default
        else:
            kept.append((name, value))
    rest = urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, parts.path,
         urllib.parse.urlencode(kept), parts.fragment))
    return rest, stream


def sentinel_parts(url):
    """(sentinels, service, db, password, username) of a sentinel URL."""
    parts = urllib.parse.urlsplit(url)
    hosts = parts.netloc.rpartition('@')[2]
    sentinels = []
    for item in hosts.split(';'):
        host, _, port = item.rpartition(':')
        if not host:
            host, port = port, ''
        sentinels.append((host.strip('[]'), int(port or 26379)))
    path = [piece for piece in parts.path.split('/') if piece]
    if not path:
        raise ValueError('a redis+sentinel URL names the service: '
                         'redis+sentinel://HOST:PORT/SERVICE[/DB]')
    db = int(path[1]) if len(path) > 1 else 0
    password = urllib.parse.unquote(parts.password) \
        if parts.password else None
    username = urllib.parse.unquote(parts.username) \
        if parts.username else None
    return sentinels, path[0], db, password, username


def check_url(url):
    """Raise ValueError when ``url`` is not a Redis URL we can use."""
    if not is_redis_url(url):
        raise ValueError('not a Redis URL: %s' % mask_url(url))
    if urllib.parse.urlsplit(url).scheme == 'redis+sentinel':
        sentinel_parts(url)


def client_for(url, socket_timeout=SOCKET_TIMEOUT):
    """A redis-py client for ``url`` (raises :class:`MissingRedis`)."""
    check_url(url)
    redis = import_redis()
    timeouts = {'socket_connect_timeout': CONNECT_TIMEOUT,
                'socket_timeout': socket_timeout}
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme == 'redis+sentinel':
        sentinel_module = import_redis('redis.sentinel')
        sentinels, service, db, password, username = sentinel_parts(url)
        sentinel = sentinel_module.Sentinel(
            sentinels, sentinel_kwargs=dict(timeouts), **timeouts)
        return sentinel.master_for(service, db=db, password=password,
                                   username=username)
    if scheme == 'redis+cluster':
        cluster = import_redis('redis.cluster')
        return cluster.RedisCluster.from_url(
            'redis' + url[len('redis+cluster'):], **timeouts)
    return redis.Redis.from_url(url, **timeouts)
