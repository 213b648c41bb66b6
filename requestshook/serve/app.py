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

"""``requestshook serve``'s web server: the standard library's.

Routes (GET and HEAD only; the server writes nothing)::

    /                          the page (static/index.html)
    /static/NAME               serve.js, serve.css, mermaid.min.js
    /api/flows?service=&path=&status=&trace=&limit=
                               the newest flows passing the filters
    /api/flows/KEY             one flow: diagram, steps, variables
    /api/flows/KEY/har         the flow as HAR (a download)
    /api/flows/KEY/markdown    the flow as `requestshook doc`'s index.md
    /api/find?request_id=ID    the flow holding an x-openstack-request-id
    /events                    Server-Sent Events: the flows that changed
"""

import http.server
import json
import os
import re
import socket
import sys
import threading
import urllib.parse

from requestshook.render import html as html_render
from requestshook.serve import catalog as catalog_module
from requestshook.serve import feeds
from requestshook.serve import views

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'static')
STATIC_FILES = {
    'serve.js': (os.path.join(STATIC, 'serve.js'),
                 'text/javascript; charset=utf-8'),
    'serve.css': (os.path.join(STATIC, 'serve.css'),
                  'text/css; charset=utf-8'),
    'mermaid.min.js': (html_render.MERMAID_JS,
                       'text/javascript; charset=utf-8'),
}
INDEX_HTML = os.path.join(STATIC, 'index.html')
# mermaid puts <style> into the SVGs it draws.
CSP = ("default-src 'self'; script-src 'self'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
KEEPALIVE_SECONDS = 15.0
# http.server quotes a malformed request line in its error message.
_TOKEN_IN_TEXT = re.compile(r'(token=)[^&\s\'"]*', re.IGNORECASE)
# Where the token's redirect may go: a path of this server ('/\\host' or
# '//host' would send the browser elsewhere).
_LOCAL_PATH = re.compile(r'/(?![/\\])[A-Za-z0-9/_.~%-]*')
# Each connection holds a thread: a client that says nothing, or stops
# reading an event stream, is let go after this long; beyond
# MAX_CONNECTIONS at once, a new connection is answered 503 and closed.
TIMEOUT_SECONDS = 60.0
MAX_CONNECTIONS = 64
BUSY = (b'HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n'
        b'Content-Length: 41\r\nConnection: close\r\n\r\n'
        b'requestshook serve: too many connections\n')


class Server(http.server.ThreadingHTTPServer):
    """One server: the catalog it shows, the feed, the access policy."""

    daemon_threads = True

    def __init__(self, address, catalog, feed, access, aliases=None,
                 verbose=False):
        self.catalog = catalog
        self.feed = feed
        self.access = access
        self.aliases = aliases or {}
        self.verbose = verbose
        self.stopping = threading.Event()
        self.indexer = None
        self.max_connections = MAX_CONNECTIONS
        self.open_connections = 0
        self._connections_lock = threading.Lock()
        super(Server, self).__init__(address, Handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            busy = self.open_connections >= self.max_connections
            if not busy:
                self.open_connections += 1
        if busy:
            try:
                request.settimeout(1.0)
                request.sendall(BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super(Server, self).process_request(request, client_address)
        except Exception:
            self._release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super(Server, self).process_request_thread(request,
                                                       client_address)
        finally:
            self._release()

    def _release(self):
        with self._connections_lock:
            self.open_connections -= 1

    def stop(self):
        """Stop serving; wakes the event streams so they end."""
        self.stopping.set()
        if self.indexer is not None:
            self.indexer.stop()
            self.indexer.join(10)
        with self.catalog.lock:
            self.catalog.changed.notify_all()
        self.shutdown()
        self.server_close()
        self.feed.close()


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = 'requestshook'
    timeout = TIMEOUT_SECONDS

    def version_string(self):
        return self.server_version

    def log_request(self, code='-', size='-'):
        if self.server.verbose:
            # Never the query: it may hold the token.
            self.log_message('%s %s %s', self.command,
                             self.path.split('?')[0], code)

    def log_error(self, format, *args):
        self.log_message(format, *args)

    def log_message(self, format, *args):
        message = _TOKEN_IN_TEXT.sub(r'\1***', format % args)
        sys.stderr.write('%s - - [%s] %s\n' % (
            self.address_string(), self.log_date_time_string(), message))

    # Plumbing -------------------------------------------------------------

    def _send(self, status, body, content_type, extra=()):
        if isinstance(body, str):
            body = body.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('X-Content-Type-Options', 'nosniff')
        self.send_header('Referrer-Policy', 'no-referrer')
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def _json(self, value, status=200):
        self._send(status, json.dumps(value), 'application/json',
                   [('Cache-Control', 'no-store')])

    def _error(self, status, message):
        self._json({'error': message}, status)

    def do_HEAD(self):
        self.do_GET()

    def _refuse_method(self):
        self._send(405, 'read-only: GET and HEAD only\n',
                   'text/plain; charset=utf-8', [('Allow', 'GET, HEAD')])

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse_method

    def do_GET(self):
        parts = urllib.parse.urlsplit(self.path)
        allowed, token_in_address = self.server.access.check(
            self.headers, parts.query)
        if not allowed:
            self._send(401, 'requestshook serve: this server wants its '
                       'token (open the address it printed, with '
                       '?token=...)\n', 'text/plain; charset=utf-8',
                       [('Cache-Control', 'no-store')])
            return
        if token_in_address:
            # Keep the token in a cookie, out of the address bar.
            self.send_response(303)
            local = _LOCAL_PATH.fullmatch(parts.path or '/')
            self.send_header('Location', parts.path if local else '/')
            self.send_header('Set-Cookie',
                             self.server.access.cookie_header())
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        query = {name: values[0] for name, values in
                 urllib.parse.parse_qs(parts.query).items()}
        try:
            self._route(parts.path, query)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:
            # One page failing (a flow the renderers trip on) must not
            # take the connection down without an answer.
            self.log_error('%s failed: %s: %s', parts.path,
                           type(exc).__name__, exc)
            try:
                self._error(500, '%s: %s' % (type(exc).__name__, exc))
            except OSError:
                pass

    def _route(self, path, query):
        if path in ('/', '/index.html'):
            with open(INDEX_HTML, 'rb') as stream:
                self._send(200, stream.read(), 'text/html; charset=utf-8',
                           [('Content-Security-Policy', CSP),
                            ('Cache-Control', 'no-cache')])
        elif path.startswith('/static/'):
            self._static(path[len('/static/'):])
        elif path == '/api/flows':
            listing = views.listing(self.server.catalog, query)
            indexer = self.server.indexer
            listing['error'] = indexer.error if indexer else None
            self._json(listing)
        elif path.startswith('/api/flows/'):
            self._flow(path[len('/api/flows/'):])
        elif path == '/api/find':
            self._find(query.get('request_id') or '')
        elif path == '/events':
            self._events(query)
        else:
            self._error(404, 'no such page: %s' % path)

    def _static(self, name):
        found = STATIC_FILES.get(name)
        if found is None:
            self._error(404, 'no such file: %s' % name)
            return
        with open(found[0], 'rb') as stream:
            self._send(200, stream.read(), found[1],
                       [('Cache-Control', 'max-age=300')])

    # API ------------------------------------------------------------------

    def _flow(self, rest):
        key, _sep, what = rest.partition('/')
        key = urllib.parse.unquote(key)
        server = self.server
        flow = views.load(server.catalog, server.feed.read, key)
        if flow is None:
            self._error(404, 'no flow %r (forgotten, or not in the log)'
                        % key)
            return
        if not what:
            self._json(views.page(flow, server.catalog.get(key),
                                  server.aliases))
        elif what == 'har':
            self._download(views.har_text(flow), 'application/json',
                           views.download_name(flow, 'har'))
        elif what == 'markdown':
            self._download(views.markdown_text(flow, server.aliases),
                           'text/markdown; charset=utf-8',
                           views.download_name(flow, 'md'))
        else:
            self._error(404, 'no such page: %s' % what)

    def _download(self, text, content_type, name):
        self._send(200, text, content_type,
                   [('Content-Disposition',
                     'attachment; filename="%s"' % name),
                    ('Cache-Control', 'no-store')])

    def _find(self, request_id):
        request_id = request_id.strip()
        if not request_id:
            self._error(400, 'give request_id=...')
            return
        key = self.server.catalog.find(request_id)
        if key is None:
            self._error(404, 'no flow holds request id %s (nor is it a '
                        'trace id)' % request_id)
            return
        flow = self.server.catalog.get(key)
        self._json({'key': key, 'index': flow.index if flow else None})

    def _events(self, query):
        catalog = self.server.catalog
        try:
            version = int(query.get('version', ''))
        except ValueError:
            version = catalog.version
        self.send_response(200)
        self.send_header('Content-Type', 'text/event-stream')
        self.send_header('Cache-Control', 'no-store')
        self.send_header('X-Content-Type-Options', 'nosniff')
        self.end_headers()
        if self.command == 'HEAD':
            return
        self._event('hello', {'version': catalog.version})
        stopping = self.server.stopping
        while not stopping.is_set():
            new, keys = catalog.wait_for_change(version, KEEPALIVE_SECONDS)
            if stopping.is_set():
                break
            if new == version:
                self.wfile.write(b': still here\n\n')
                self.wfile.flush()
                continue
            version = new
            with catalog.lock:
                progress = dict(catalog.progress)
            self._event('changed', {
                'version': version, 'progress': progress,
                'keys': None if keys is None else sorted(keys)[:500]})

    def _event(self, name, data):
        self.wfile.write(('event: %s\ndata: %s\n\n' % (
            name, json.dumps(data))).encode('utf-8'))
        self.wfile.flush()


class Server6(Server):
    address_family = socket.AF_INET6


def make_server(host, port, catalog, feed, access, aliases=None,
                verbose=False):
    """A bound server (``port`` 0 picks one: see ``server_address``)."""
    host = host.strip('[]')
    kind = Server6 if ':' in host else Server
    return kind((host, port), catalog, feed, access, aliases, verbose)


def start(feed, access, max_flows=catalog_module.MAX_FLOWS, aliases=None,
          verbose=False):
    """Index ``feed`` and serve it, both in threads; ``stop()`` ends both.

    The server answers at once; the list fills while the log is indexed.
    """
    catalog = catalog_module.Catalog(max_flows=max_flows)
    feed.attach(catalog)
    server = make_server(access.host, access.port, catalog, feed, access,
                         aliases, verbose)
    server.indexer = feeds.Indexer(feed, catalog)
    server.indexer.start()
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={'poll_interval': 0.1},
                              name='requestshook-serve', daemon=True)
    thread.start()
    return server
