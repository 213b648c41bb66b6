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

"""A chunked image upload through the real glance, recording on.

Tempest's image tests upload with ``Transfer-Encoding: chunked``: glance
then hands gunicorn's own input object (no WebOb reader around it) to
oslo.utils' format inspector, which calls ``close()`` only where the
object has one.  The filter's ``wsgi.input`` wrapper must offer exactly
what gunicorn's object offers, or the upload answers 415.
"""

import hashlib
import json
import os
import time

import requests

PAYLOAD = os.urandom(3 * 65536 + 123)
SETTLE_SECONDS = 15.0


def _token(stack):
    site = stack.site
    response = requests.post(site.auth_url + '/auth/tokens', json={
        'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': 'admin', 'domain': {'name': 'Default'},
                'password': site.passwords['admin']}}},
            'scope': {'project': {'name': 'admin',
                                  'domain': {'name': 'Default'}}}}},
        timeout=60)
    assert response.status_code == 201, response.text
    return response.headers['X-Subject-Token']


def _chunks(data, size=65536):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def _server_closing_event(log_file, image_id, timeout=SETTLE_SECONDS):
    """glance-api's closing event of the upload, once it is written."""
    deadline = time.monotonic() + timeout
    while True:
        with open(log_file, 'rb') as log:
            for line in log:
                record = json.loads(line)
                if record['side'] == 'server' and \
                        record['event'] != 'request' and \
                        record['to'] == 'glance-api' and \
                        record['method'] == 'PUT' and \
                        record['url'].endswith('/v2/images/%s/file'
                                               % image_id):
                    return record
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


def test_chunked_upload_with_recording_on(stack):
    glance = stack.site.url('glance-api')
    headers = {'X-Auth-Token': _token(stack)}
    created = requests.post(glance + '/v2/images', headers=headers, json={
        'name': 'chunked', 'disk_format': 'raw',
        'container_format': 'bare'}, timeout=60)
    assert created.status_code == 201, created.text
    image_id = created.json()['id']

    uploaded = requests.put(
        glance + '/v2/images/%s/file' % image_id, data=_chunks(PAYLOAD),
        headers=dict(headers, **{
            'Content-Type': 'application/octet-stream'}), timeout=120)
    assert uploaded.request.headers.get('Transfer-Encoding') == 'chunked'
    assert 'Content-Length' not in uploaded.request.headers
    assert uploaded.status_code == 204, uploaded.text

    image = requests.get(glance + '/v2/images/' + image_id,
                         headers=headers, timeout=60).json()
    assert image['status'] == 'active'
    assert image['size'] == len(PAYLOAD)
    assert image['os_hash_value'] == hashlib.sha512(PAYLOAD).hexdigest()

    closing = _server_closing_event(stack.log_file, image_id)
    assert closing is not None, 'glance-api recorded no end of the upload'
    assert closing['event'] == 'response' and closing['status'] == 204
    assert closing['request_body']['size'] == len(PAYLOAD)
    assert closing['request_body']['truncated'] is True
    requests.delete(glance + '/v2/images/' + image_id, headers=headers,
                    timeout=60)
