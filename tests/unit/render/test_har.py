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

import base64
import json
import os

import jsonschema
import pytest

from requestshook import event
from requestshook.reading import flow as flow_module
from requestshook.reading import sample
from requestshook.render import har
from requestshook.render import sequence as sequence_module

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), 'har-1.2.schema.json')


@pytest.fixture(scope='module')
def validator():
    with open(SCHEMA_PATH) as stream:
        schema = json.load(stream)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _har(log):
    return json.loads(har.render(sequence_module.Sequence(
        flow_module.Flow('t', log.events))))


def test_image_create_is_valid_har(validator):
    document = _har(sample.image_create())
    validator.validate(document)
    entries = document['log']['entries']
    assert len(entries) == 11
    assert document['log']['version'] == '1.2'
    assert document['log']['creator']['name'] == 'requestshook'
    assert [e['_step'] for e in entries] == [1, 3, 5, 6, 8, 10, 13, 14, 16,
                                             17, 20]


def test_entry_fields(validator):
    entries = _har(sample.image_create())['log']['entries']
    create = entries[2]
    assert create['request']['method'] == 'POST'
    assert create['request']['url'] == 'http://10.0.0.11/image/v2/images'
    assert json.loads(create['request']['postData']['text'])['name'] == \
        'cirros-0.6.1-x86_64-disk'
    assert create['request']['postData']['mimeType'] == 'application/json'
    assert create['response']['status'] == 201
    assert create['response']['statusText'] == 'Created'
    assert json.loads(create['response']['content']['text'])['id'] == \
        sample.IMAGE_ID
    assert create['_from'] == 'openstack' and create['_to'] == 'glance-api'
    assert create['_sides'] == ['client', 'server']
    assert create['time'] == create['_clientDurationMs'] > 0
    assert create['startedDateTime'].endswith('Z')


def test_binary_upload_is_base64_with_whole_size():
    entries = _har(sample.image_create())['log']['entries']
    upload = entries[6]
    post = upload['request']['postData']
    assert post['_encoding'] == 'base64' and post['_truncated'] is True
    assert base64.b64decode(post['text']).startswith(b'QFI\xfb')
    assert upload['request']['bodySize'] == 21233664


def test_query_string_failures_and_missing_responses(validator):
    log = sample.LogMaker()
    with log.call('openstack', 'glance-api', 'GET',
                  'http://h/v2/images?limit=2&name=a%20b', answered=False):
        pass
    with log.call('openstack', 'glance-api', 'GET', 'http://h/x',
                  error='ConnectionError'):
        pass
    with log.call('openstack', 'glance-api', 'GET', 'http://h/y',
                  status=302, response_headers=[('Location', 'http://h/z')],
                  response_type='text/html',
                  response_body=b'\xc3\xa9t\xc3\xa9'):
        pass
    document = _har(log)
    validator.validate(document)
    missing, failed, moved = document['log']['entries']
    assert missing['request']['queryString'] == [
        {'name': 'limit', 'value': '2'}, {'name': 'name', 'value': 'a b'}]
    assert missing['response']['status'] == 0
    assert missing['response']['_error'] == 'no response recorded'
    assert failed['response']['_error'] == 'ConnectionError'
    assert moved['response']['redirectURL'] == 'http://h/z'
    assert moved['response']['content']['text'] == '\u00e9t\u00e9'
    assert moved['response']['content']['mimeType'] == 'text/html'


def test_client_only_events_are_valid(validator):
    log = sample.image_list()
    log.events = [r for r in log.events if r['side'] == event.CLIENT]
    validator.validate(_har(log))


def test_schema_rejects_what_har_forbids(validator):
    document = _har(sample.image_list())
    del document['log']['entries'][0]['response']['content']
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(document)


def test_odd_events_still_make_valid_har(validator):
    odd = [
        {'v': 1, 'event': 'request'},
        {'v': 1, 'event': 'response', 'id': 'x1'},
        {'v': 1, 'event': 'request', 'id': 'x3', 'side': 'server',
         'url': 'http://h/a?b', 'ts': '2023-11-14T22:13:20.000000Z',
         'body': {'kind': 'binary', 'data': 'AAE=', 'size': '2'}},
        {'v': 1, 'event': 'response', 'id': 'x3', 'side': 'server',
         'status': '200', 'headers': [['A']], 'body': None},
    ]
    document = json.loads(har.render(sequence_module.Sequence(
        flow_module.Flow('t', odd))))
    validator.validate(document)
    assert [e['response']['status'] for e in document['log']['entries']] \
        == [200, 0, 0]     # hops without a time come last


def test_flow_with_rpc_hops_is_valid_har(validator):
    from requestshook.reading import sample_compute
    document = _har(sample_compute.server_create())
    validator.validate(document)
    assert document['log']['entries']
