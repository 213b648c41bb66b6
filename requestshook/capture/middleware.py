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


"""The inbound paste filter: record each call a WSGI service answers.

In an ``api-paste.ini``::

    [filter:requestshook]
    paste.filter_factory = requestshook.middleware:filter_factory
    service_name = glance-api

Per request it reads (or makes) the ``X-Requestshook-*`` ids, makes the
hop current for the outbound hook while the application runs, writes a
``request`` event when the call arrives and a ``response`` event when the
last body byte has left (``error`` when the application raised or the
client went away), and echoes Request-Id and Request-From on the response.
Status, headers (but the two echoed) and body bytes pass exactly as the
application produced them, streamed, never buffered.  A failure inside
requestshook is logged once and the request goes on as if the filter were
absent.
"""

import time

from requestshook.capture import body
from requestshook.capture import context
from requestshook import event
from requestshook.capture import identity
from requestshook.capture import observed_input
from requestshook.capture import outbound
from requestshook.capture import rpc
from requestshook.recording import report
from requestshook.capture import trust
from requestshook.capture import wsgi_result
from requestshook.capture import wsgi_request
from requestshook.capture import wsgi_url
from requestshook import w3c

_REPORTER = report.Reporter()

UNKNOWN_CALLER = 'unknown'


def _internal_failure(where, exc):
    _REPORTER.failed(
        'middleware', (where, type(exc).__name__),
        'requestshook failed in the paste filter (%s: %s: %s); the request '
        'goes on unrecorded.', where, type(exc).__name__, exc)


def _status_code(status):
    try:
        code, _, reason = status.partition(' ')
        return int(code), reason
    except (AttributeError, ValueError):
        return None, status


def describe(exc):
    """One line naming an exception."""
    text = str(exc).splitlines()[0] if str(exc) else ''
    name = type(exc).__name__
    return '%s: %s' % (name, text) if text else name


class InboundCall(object):
    """One request the filter serves: ids, observed bodies, events."""

    __slots__ = ('recorder', 'started', 'hop_id', 'trace', 'parent',
                 'caller', 'service', 'method', 'url', 'serving', 'recorded',
                 'status', 'response_headers', 'request_head',
                 'response_head', '_request_type', '_request_length',
                 '_start_response', '_done', '_opened')

    def __init__(self, recorder, environ, service, hmac_keys=()):
        self.recorder = recorder
        self.started = time.monotonic()
        request_id, trace, parent, caller = wsgi_request.claimed_ids(
            environ, hmac_keys)
        if trace is None and request_id is None:
            # A W3C caller (OpenTelemetry): continue its trace.
            continued = w3c.parse(
                environ.get(wsgi_request.KEY_TRACEPARENT))
            if continued is not None:
                trace, parent = continued
        if request_id is None and trace is None:
            self.hop_id, self.trace = event.new_ids()
        else:
            self.hop_id = request_id or event.new_id()
            self.trace = trace or event.new_id()
        self.parent = parent
        self.caller = (caller or wsgi_request.caller_from_user_agent(
            environ.get('HTTP_USER_AGENT')) or UNKNOWN_CALLER)
        self.service = service
        self.method = environ.get('REQUEST_METHOD', 'GET')
        self.url = wsgi_url.request_url(environ)
        path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
        self.serving = context.Serving(
            context.Hop(self.trace, self.hop_id, service))
        self.recorded = recorder.should_record(self.caller, service,
                                               self.method, path,
                                               root=parent is None)
        self.status = None
        self.response_headers = None
        self.request_head = None
        self.response_head = None
        self._request_type = environ.get('CONTENT_TYPE')
        # None: the length is not announced (chunked) or unreadable.
        chunked = wsgi_request.is_chunked(environ)
        self._request_length = None if chunked else \
            wsgi_request.content_length(environ)
        self._start_response = None
        self._done = False
        self._opened = False
        if self.recorded:
            self._arrive(environ, chunked or self._request_length != 0)

    def _arrive(self, environ, has_body):
        max_bytes = self.recorder.max_body_bytes
        self.response_head = body.BodyHead(max_bytes)
        if has_body:
            self.request_head = body.BodyHead(max_bytes)
            environ['wsgi.input'] = observed_input.ObservedInput(
                environ['wsgi.input'], self.request_head)
            request_body = None
        else:
            request_body = event.body_record(b'', 0)
        self._opened = outbound.emit(self.recorder, event.request_event(
            event.SERVER, self.hop_id, self.trace, self.parent, self.caller,
            self.service, self.method, self.url,
            wsgi_request.request_headers(environ),
            request_body))

    # -- start_response -------------------------------------------------

    def wrap_start_response(self, start_response):
        self._start_response = start_response
        return self.start_response

    def start_response(self, *args, **kwargs):
        # The server gets the call in the form the application made it
        # (exc_info as a keyword, headers as a tuple), echoed ids aside.
        if not kwargs and 1 < len(args) < 4 and \
                args[1].__class__ is list:
            return self._start_listed(args)
        given = sent = None
        try:
            given = wsgi_result.start_response_call(args, kwargs)
            sent = wsgi_result.echoing(given.headers, self._echoed())
            if sent is not None:
                args, kwargs = given.with_headers(sent)
        except Exception as exc:
            _internal_failure('start_response', exc)
        write = self._start_response(*args, **kwargs)
        try:
            if given is not None:
                self.status = given.status
                self.response_headers = wsgi_result.recorded_headers(
                    given.headers if sent is None else sent)
        except Exception as exc:
            _internal_failure('start_response', exc)
        return self._observed_write(write)

    def _start_listed(self, args):
        # The usual call: start_response(status, [headers][, exc_info]).
        sent = None
        try:
            sent = wsgi_result.echoing(args[1], self._echoed())
            if sent is not None:
                args = (args[0], sent) + args[2:]
        except Exception as exc:
            _internal_failure('start_response', exc)
        write = self._start_response(*args)
        try:
            self.status = args[0]
            self.response_headers = wsgi_result.recorded_headers(args[1])
        except Exception as exc:
            _internal_failure('start_response', exc)
        return self._observed_write(write)

    def _echoed(self):
        return ((event.HEADER_REQUEST_ID, self.hop_id),
                (event.HEADER_REQUEST_FROM, self.caller))

    def _observed_write(self, write):
        head = self.response_head

        def observed_write(*args, **kwargs):
            head.feed(args[0] if args else next(iter(kwargs.values()),
                                                None))
            return write(*args, **kwargs)
        return observed_write

    # -- the end ----------------------------------------------------------

    def _duration_ms(self):
        return (time.monotonic() - self.started) * 1000.0

    def _request_body(self):
        if self.request_head is None:
            return None
        head, length = self.request_head, self._request_length
        complete = head.at_end or (length is not None and
                                   head.size >= length)
        return head.record(self._request_type, length, complete)

    def finish(self, how, exc=None):
        """Write the closing event; called once (``ObservedAppIter``)."""
        if self._done:
            return
        self._done = True
        try:
            if how == body.ABANDONED and self._bodiless():
                # Servers such as uwsgi send a HEAD response's body bytes
                # anyway; the client has all it needs once the headers
                # left and may well close first.
                how = body.FINISHED
            if how == body.FINISHED:
                self._emit_response(self.response_head.record(
                    wsgi_result.header_value(self.response_headers,
                                             'Content-Type')))
            elif how == body.ABANDONED:
                self._emit_error('client went away after %d response bytes'
                                 % self.response_head.size)
            else:
                self._emit_error(describe(exc))
        except Exception as failure:
            _internal_failure('finish', failure)

    def _bodiless(self):
        return self.method == 'HEAD' or \
            _status_code(self.status)[0] in (204, 304)

    def finish_file(self, content_length):
        """End of a response the server sends from ``wsgi.file_wrapper``."""
        if self._done:
            return
        self._done = True
        try:
            self._emit_response(event.omitted_body(
                content_length or 0, 'wsgi.file_wrapper'))
        except Exception as failure:
            _internal_failure('finish', failure)

    # A call whose request event was written gets its closing event even
    # when recording was switched off meanwhile; one whose request event
    # was dropped gets none.

    def _emit_response(self, response_body):
        if not self._opened:
            return
        code, reason = _status_code(self.status)
        outbound.emit(self.recorder, event.response_event(
            event.SERVER, self.hop_id, self.trace, self.parent, self.caller,
            self.service, self.method, self.url, code, reason,
            self.response_headers or [], response_body, self._duration_ms(),
            request_body=self._request_body()), closing=True)

    def _emit_error(self, error):
        if not self._opened:
            return
        code = _status_code(self.status)[0] if self.status else None
        outbound.emit(self.recorder, event.error_event(
            event.SERVER, self.hop_id, self.trace, self.parent, self.caller,
            self.service, self.method, self.url, error, self._duration_ms(),
            status=code, request_body=self._request_body()), closing=True)


class RequestsHook(object):
    """WSGI middleware recording the calls a service answers."""

    def __init__(self, app, conf=None, recorder=None):
        self.app = app
        conf = dict(conf or {})
        self._configured_name = (conf.get('service_name') or '').strip() \
            or None
        self._recorder = None
        self._hmac_keys = ()
        try:
            self._hmac_keys = trust.parse_keys(conf.get('hmac_keys'))
            if recorder is None:
                from requestshook.recording import recorder as recorder_module
                overrides = {key: value for key, value in conf.items()
                             if key not in ('config_file', 'hmac_keys')}
                recorder = recorder_module.get_recorder(
                    config_file=conf.get('config_file') or None,
                    overrides=overrides)
            self._process_name = identity.service_name()
            outbound.install(recorder=recorder,
                             service_name=self._configured_name,
                             hmac_key=self._hmac_keys or None)
            rpc.install()
            self._recorder = recorder
        except Exception as exc:
            _internal_failure('loading the filter', exc)

    def service_name(self):
        return (self._configured_name or self._recorder.service_name
                or self._process_name)

    def __call__(self, environ, start_response):
        try:
            enabled = self._recorder.enabled()
        except Exception:
            enabled = False
        if not enabled:
            return self.app(environ, start_response)
        try:
            call = InboundCall(self._recorder, environ, self.service_name(),
                               self._hmac_keys)
            if call.recorded:
                start_response = call.wrap_start_response(start_response)
        except Exception as exc:
            _internal_failure('request', exc)
            return self.app(environ, start_response)
        with call.serving:
            try:
                result = self.app(environ, start_response)
            except BaseException as exc:
                if call.recorded:
                    call.finish(body.RAISED, exc)
                raise
        return self._observe(call, environ, result)

    @staticmethod
    def _observe(call, environ, result):
        try:
            return wsgi_result.observe(call, environ, result)
        except Exception as exc:
            _internal_failure('response', exc)
            return result


def filter_factory(global_conf, **local_conf):
    """paste.deploy filter factory (``[filter:requestshook]``).

    ``local_conf`` holds ``service_name``, optionally ``config_file`` and
    ``hmac_keys`` (see :mod:`requestshook.capture.trust`), and any requestshook
    option, which wins over the configuration file.
    """
    def requestshook_filter(app):
        return RequestsHook(app, local_conf)
    return requestshook_filter
