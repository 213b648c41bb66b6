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


"""What an application hands the server, as the paste filter passes it on.

The arguments of ``start_response`` go to the server in the form the
application gave them (``exc_info`` as a keyword, headers as a tuple,
keywords the server does not take), with only the echoed ids changed, so
the server accepts or refuses them as it would without the filter.  The
application's result is observed by :mod:`requestshook.capture.body`,
except a ``wsgi.file_wrapper`` (the server keeps its ``sendfile`` path)
and a bare ``bytes`` or ``str`` (uwsgi sends it whole).
"""

import collections

from requestshook.capture import body
from requestshook import event

_ECHOED_LOWER = tuple(name.lower() for name in event.ECHOED_HEADERS)
# PEP 3333 names it response_headers, wsgiref and gunicorn headers.
_HEADERS_KEYWORDS = ('headers', 'response_headers')

StartResponse = collections.namedtuple(
    'StartResponse', ['status', 'headers', 'with_headers'])


def start_response_call(args, kwargs):
    """Status and headers of a ``start_response`` call, as given.

    ``with_headers(new)`` gives ``(args, kwargs)`` of the same call with
    ``new`` headers in their place.  Either is None when not given.
    """
    status = args[0] if args else kwargs.get('status')
    if len(args) > 1:
        def with_headers(new):
            return (args[0], new) + tuple(args[2:]), kwargs
        return StartResponse(status, args[1], with_headers)
    for name in _HEADERS_KEYWORDS:
        if name in kwargs:
            def with_keyword(new, name=name):
                return args, dict(kwargs, **{name: new})
            return StartResponse(status, kwargs[name], with_keyword)
    return StartResponse(status, None, None)


def echoing(headers, echoed):
    """``headers`` with the ``echoed`` pairs in place of any the app set.

    Of the same type as given (a tuple stays a tuple, for the server to
    refuse or take as it would).  None when ``headers`` is not a list or
    tuple of pairs with a text name: the server gets them untouched.
    """
    kind = type(headers)
    if kind is not list and kind is not tuple:
        return None
    kept = []
    for pair in headers:
        if type(pair) not in (tuple, list) or len(pair) != 2 or \
                not isinstance(pair[0], str):
            return None
        if pair[0].lower() not in _ECHOED_LOWER:
            kept.append(pair)
    return kind(kept + list(echoed))


def recorded_headers(headers):
    """``(name, value)`` text pairs of headers to write in an event."""
    if type(headers) not in (list, tuple):
        return []
    return [(str(pair[0]), str(pair[1])) for pair in headers
            if type(pair) in (tuple, list) and len(pair) == 2]


def header_value(headers, name):
    name = name.lower()
    for key, value in headers or ():
        if key.lower() == name:
            return value
    return None


def is_file_response(environ, result):
    """True for a ``wsgi.file_wrapper`` result the server may sendfile.

    Most servers' file_wrapper is a class; uwsgi's is a function handing
    back the file itself, which uwsgi sends only if it gets it back
    (else it iterates the file by lines, whatever their length).
    """
    file_wrapper = environ.get('wsgi.file_wrapper')
    if file_wrapper is None:
        return False
    if isinstance(file_wrapper, type):
        return isinstance(result, file_wrapper)
    return hasattr(result, 'read')


def _ignore_end(how, exc=None):
    pass


def observe(call, environ, result):
    """The result to hand the server, observed for ``call``.

    Raises only when requestshook failed (the caller hands on ``result``).
    """
    if is_file_response(environ, result):
        if call.recorded:
            _watch_file(call, result)
        return result
    if isinstance(result, (bytes, str)):
        # Not an iterable of chunks, but uwsgi sends it whole.
        if call.recorded:
            call.response_head.feed(result)
            call.finish(body.FINISHED)
        return result
    on_end = call.finish if call.recorded else _ignore_end
    head = call.response_head or body.BodyHead(0)
    return body.observe_app_iter(result, head, on_end, call.serving)


def _content_length(headers):
    try:
        return int(header_value(headers, 'Content-Length') or 0)
    except ValueError:
        return None


def _watch_file(call, result):
    # Keep the server's sendfile path: the wrapper stays as it is and
    # only its close() tells us the file has been sent.
    length = _content_length(call.response_headers)
    close = getattr(result, 'close', None)

    def close_and_record():
        try:
            if close is not None:
                close()
        finally:
            call.finish_file(length)
    try:
        result.close = close_and_record
    except Exception:
        call.finish_file(length)
