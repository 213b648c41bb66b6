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

"""One hop: a call from one service to another, seen from either side.

The caller's outbound hook writes ``client`` events and the callee's
inbound filter ``server`` events, both with the hop's id.  A hop merges
them: the server's view of the request (its path and headers, the
protocol headers included), the caller's view of the outcome, and both
timings.
"""

import http

from requestshook import event
from requestshook.reading import urls

# RPC hops (oslo.messaging): ``"proto": "rpc"``; HTTP events carry no proto.
PROTO_HTTP = 'http'
PROTO_RPC = 'rpc'
CALL = 'CALL'
CAST = 'CAST'


class Side(object):
    """The events one side wrote for a hop."""

    __slots__ = ('request', 'final')

    def __init__(self):
        self.request = None
        self.final = None       # the response or error event

    @property
    def start(self):
        if self.request is not None:
            return event.parse_timestamp(self.request.get('ts'))
        return None

    @property
    def end(self):
        if self.final is not None:
            return event.parse_timestamp(self.final.get('ts'))
        return None

    @property
    def duration_ms(self):
        if self.final is not None:
            return self.final.get('duration_ms')
        return None


def _first(*values):
    for value in values:
        if value is not None:
            return value
    return None


def _field(name, *events):
    return _first(*(e.get(name) for e in events if e is not None))


class Hop(object):
    """A call seen by its caller, its callee, or both."""

    def __init__(self, hop_id):
        self.id = hop_id
        self.client = Side()
        self.server = Side()
        self.children = []
        self.parent_hop = None
        self.parent_inferred = False

    def add(self, record):
        side = self.server if record.get('side') == event.SERVER \
            else self.client
        if record.get('event') == event.REQUEST:
            if side.request is None:
                side.request = record
        elif side.final is None or side.final.get('event') == event.ERROR:
            side.final = record

    # Every event of a hop names these; the server knows its own name and
    # its own URL, the caller knows its own name.
    def _events(self, *order):
        sides = {'server': self.server, 'client': self.client}
        for name in order:
            side = sides[name]
            yield side.request
            yield side.final

    def _pick(self, name, *order):
        return _field(name, *self._events(*order))

    @property
    def sides(self):
        return tuple(name for name, side in (('client', self.client),
                                             ('server', self.server))
                     if side.request is not None or side.final is not None)

    @property
    def trace(self):
        return self._pick('trace', 'client', 'server')

    @property
    def parent(self):
        return self._pick('parent', 'client', 'server')

    @property
    def caller(self):
        return self._pick('from', 'client', 'server') or 'unknown'

    @property
    def callee(self):
        name = self._pick('to', 'server', 'client')
        if name:
            return name
        return urls.split(self.url).netloc or 'unknown'

    @property
    def caller_host(self):
        return self._pick('host', 'client')

    @property
    def callee_host(self):
        return self._pick('host', 'server')

    @property
    def method(self):
        return self._pick('method', 'server', 'client') or '?'

    @property
    def url(self):
        return self._pick('url', 'server', 'client') or ''

    @property
    def client_url(self):
        return self._pick('url', 'client')

    @property
    def proto(self):
        """``rpc`` for an oslo.messaging hop, else ``http``."""
        return self._pick('proto', 'client', 'server') or PROTO_HTTP

    @property
    def is_rpc(self):
        return self.proto == PROTO_RPC

    @property
    def is_cast(self):
        """An RPC cast (or fanout cast): nothing comes back from it."""
        return self.is_rpc and self.method == CAST

    @property
    def send_failed(self):
        """The caller's own ``error``: a cast it could not send."""
        final = self.client.final
        return self.is_cast and final is not None and \
            final.get('event') == event.ERROR

    @property
    def fanout(self):
        return bool(self._pick('fanout', 'client', 'server'))

    @property
    def rpc_method(self):
        """``build_instances`` of ``rpc://nova/conductor/build_instances``."""
        return self.url.rstrip('/').rpartition('/')[2] or '?'

    @property
    def rpc_topic(self):
        """``compute.host1`` of ``rpc://nova/compute.host1/...``."""
        path = urls.split(self.url).path.strip('/')
        return path.rpartition('/')[0]

    @property
    def call_text(self):
        """``GET /v2/images``, ``cast build_instances``,
        ``call select_destinations`` or ``fanout cast update``.
        """
        if self.is_rpc:
            verb = self.method.lower()
            if self.fanout:
                verb = 'fanout ' + verb
            return '%s %s' % (verb, self.rpc_method)
        return '%s %s' % (self.method, self.path)

    @property
    def path(self):
        """The server's view of the path, with the query string."""
        parts = urls.split(self.url)
        path = parts.path or '/'
        if parts.query:
            path += '?' + parts.query
        return path

    @property
    def start(self):
        return _first(self.client.start, self.server.start,
                      self.server.end, self.client.end)

    @property
    def end(self):
        return _first(self.client.end, self.server.end)

    # The callee's own clock: calls it made while serving this hop are
    # compared with these, never with the caller's clock (hosts' clocks
    # may be far apart).
    @property
    def served_from(self):
        """When the callee started serving, by the callee's clock."""
        if self.server.request is not None or self.server.final is not None:
            return _first(self.server.start, self.server.end)
        return self.start

    @property
    def served_until(self):
        """When the callee finished serving, by its clock.

        ``None`` if it never did (or is not known to have).
        """
        if self.server.request is not None or self.server.final is not None:
            return self.server.end
        return self.end

    @property
    def started_at(self):
        """The ``ts`` text of the first request event."""
        return self._pick('ts', 'client', 'server')

    @property
    def client_duration_ms(self):
        return self.client.duration_ms

    @property
    def server_duration_ms(self):
        return self.server.duration_ms

    @property
    def duration_ms(self):
        return _first(self.client.duration_ms, self.server.duration_ms)

    @property
    def final(self):
        """The event telling how the call ended, as the caller saw it."""
        return _first(self.client.final, self.server.final)

    @property
    def answered(self):
        return self.final is not None

    @property
    def failed(self):
        final = self.final
        return final is not None and final.get('event') == event.ERROR

    @property
    def status(self):
        final = self.final
        return final.get('status') if final is not None else None

    @property
    def reason(self):
        final = self.final
        if final is None:
            return None
        reason = final.get('reason')
        if not reason and final.get('status'):
            try:
                reason = http.HTTPStatus(final['status']).phrase
            except ValueError:
                reason = ''
        return reason or ''

    @property
    def error(self):
        final = self.final
        if final is not None and final.get('event') == event.ERROR:
            return final.get('error') or 'error'
        return None

    @property
    def request_headers(self):
        request = _first(self.server.request, self.client.request)
        if request is None:
            return []
        return request.get('headers') or []

    @property
    def response_headers(self):
        for final in (self.client.final, self.server.final):
            if final is not None and final.get('headers') is not None:
                return final['headers']
        return []

    @property
    def request_body(self):
        """The request body record, from wherever it was written."""
        for side in (self.server, self.client):
            if side.request is not None and \
                    side.request.get('body') is not None:
                return side.request['body']
            if side.final is not None and \
                    side.final.get('request_body') is not None:
                return side.final['request_body']
        return None

    @property
    def response_body(self):
        for final in (self.client.final, self.server.final):
            if final is not None and final.get('body') is not None:
                return final['body']
        return None

    @property
    def is_error(self):
        """Failed, unanswered, or answered with a 5xx status.

        A cast expects no answer: only its failure is an error.
        """
        if self.is_cast:
            return self.failed
        status = self.status
        return (not self.answered or self.failed
                or (status is not None and status >= 500))

    def walk(self):
        """This hop and its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def __repr__(self):
        return '<Hop %s %s -> %s %s %s>' % (self.id[:8], self.caller,
                                            self.callee, self.method,
                                            self.path)
