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

"""A flow as HAR 1.2, the format browser dev tools import.

One entry per hop, in step order, from the caller's point of view.  What
HAR has no field for (hop ids, services, both sides' timings, kept and
whole body sizes) rides in ``_``-prefixed custom fields, which the spec
allows.  HAR describes HTTP only: RPC hops (oslo.messaging calls and
casts) are left out, and the log's ``comment`` says how many; the
entries' ``_step`` numbers stay those of the diagram.
"""

import json
import urllib.parse

from requestshook import event
from requestshook.reading import urls
from requestshook.render import bodies

HAR_VERSION = '1.2'


def _version():
    try:
        from importlib import metadata
        return metadata.version('requestshook')
    except Exception:
        return '0'


def _headers(pairs):
    return [{'name': str(pair[0]),
             'value': str(pair[1]) if len(pair) > 1 else ''}
            for pair in pairs or () if pair]


def _query(url):
    query = urls.split(url).query
    return [{'name': name, 'value': value}
            for name, value in urllib.parse.parse_qsl(
                query, keep_blank_values=True)]


def _integer(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _size(body):
    if not body:
        return 0
    return _integer(body.get('size'))


def _post_data(hop):
    body = hop.request_body
    if not body or body.get('kind') == event.BODY_EMPTY:
        return None
    text, encoding = bodies.har_content(body)
    data = {'mimeType': bodies.media_type(hop.request_headers),
            'params': [], 'text': text or ''}
    if encoding:
        data['_encoding'] = encoding
    if body.get('truncated'):
        data['_truncated'] = True
    return data


def _content(hop):
    body = hop.response_body
    content = {'size': _size(body),
               'mimeType': bodies.media_type(hop.response_headers)}
    text, encoding = bodies.har_content(body)
    if text is not None:
        content['text'] = text
    if encoding:
        content['encoding'] = encoding
    if body and body.get('truncated'):
        content['_truncated'] = True
        content['comment'] = 'body kept in part by requestshook'
    return content


def entry(hop, request_number, response_number, page_id):
    duration = hop.duration_ms
    request = {
        'method': hop.method, 'url': hop.url, 'httpVersion': 'HTTP/1.1',
        'cookies': [], 'headers': _headers(hop.request_headers),
        'queryString': _query(hop.url), 'headersSize': -1,
        'bodySize': _size(hop.request_body),
    }
    post_data = _post_data(hop)
    if post_data is not None:
        request['postData'] = post_data
    response_headers = hop.response_headers
    response = {
        'status': _integer(hop.status),
        'statusText': hop.reason or '',
        'httpVersion': 'HTTP/1.1', 'cookies': [],
        'headers': _headers(response_headers),
        'content': _content(hop),
        'redirectURL': bodies.header_value(response_headers,
                                           'Location') or '',
        'headersSize': -1,
        'bodySize': _size(hop.response_body) if hop.answered else -1,
    }
    if hop.error:
        response['_error'] = hop.error
    if not hop.answered:
        response['_error'] = 'no response recorded'
    return {
        'pageref': page_id,
        'startedDateTime': hop.started_at or '1970-01-01T00:00:00.000000Z',
        'time': max(duration or 0.0, 0.0),
        'request': request,
        'response': response,
        'cache': {},
        'timings': {'blocked': -1, 'dns': -1, 'connect': -1, 'ssl': -1,
                    'send': 0, 'wait': max(duration or 0.0, 0.0),
                    'receive': 0},
        '_id': hop.id, '_trace': hop.trace, '_parent': hop.parent,
        '_from': hop.caller, '_to': hop.callee, '_sides': list(hop.sides),
        '_step': request_number, '_responseStep': response_number,
        '_clientDurationMs': hop.client_duration_ms,
        '_serverDurationMs': hop.server_duration_ms,
        '_clientUrl': hop.client_url,
    }


def build(sequence):
    """The HAR document (a dict) of a sequence."""
    flow = sequence.flow
    page_id = 'flow_%s' % flow.key
    numbers = {}
    for message in sequence.messages:
        numbers.setdefault(message.hop.id, []).append(message.number)
    entries = []
    rpc_hops = 0
    for hop in sequence.hops:
        if hop.is_rpc:
            rpc_hops += 1
            continue
        request_number, response_number = (numbers.get(hop.id, []) +
                                           [None, None])[:2]
        entries.append(entry(hop, request_number, response_number, page_id))
    return {'log': {
        'version': HAR_VERSION,
        'creator': {'name': 'requestshook', 'version': _version()},
        'pages': [{
            'startedDateTime': flow.started_at or
            '1970-01-01T00:00:00.000000Z',
            'id': page_id, 'title': flow.root_call or flow.key,
            'pageTimings': {'onContentLoad': -1, 'onLoad': -1}}],
        'entries': entries,
        'comment': 'trace %s, recorded by requestshook%s' % (
            flow.key, rpc_note(rpc_hops)),
    }}


def rpc_note(count):
    if not count:
        return ''
    return ('; %d RPC hop%s left out (HAR holds HTTP calls only: see the '
            'diagram or the markdown page)' % (count,
                                               '' if count == 1 else 's'))


def render(sequence):
    return json.dumps(build(sequence), indent=2, ensure_ascii=False) + '\n'
