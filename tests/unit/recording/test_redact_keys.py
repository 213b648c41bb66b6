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

"""The secrets the default lists cover (issue 10, item 8)."""

import base64
import json

from oslo_utils import strutils
import pytest

from requestshook import event
from requestshook.recording import opts
from requestshook.recording import redact

# Every test on both JSON paths of requestshook.event (conftest.py).
pytestmark = pytest.mark.usefixtures('json_backend')

SECRET = 'S3cr3tV4lue'
SECRET_ID = '0f4b9b5e-6bd3-4c1c-9bd8-2bd0e4cba2a1'


@pytest.fixture
def redactor():
    return redact.Redactor(opts.DEFAULT_REDACT_HEADERS,
                           opts.DEFAULT_REDACT_BODY_KEYS)


def _event(url, body, method='POST', headers=(), content_type=None):
    return event.request_event(
        event.CLIENT, event.new_id(), event.new_id(), None, 'a', 'b',
        method, url, list(headers), body)


def _record(raw, content_type):
    if isinstance(raw, (dict, list)):
        raw = json.dumps(raw)
    raw = raw.encode('utf-8')
    return event.body_record(raw, len(raw), content_type)


def _logged(redactor, url, raw, content_type='application/json',
            method='POST', headers=()):
    made = _event(url, _record(raw, content_type), method, headers)
    return redactor.encode(made).decode('utf-8')


@pytest.mark.parametrize('url, data', [
    # cinder volume transfer: accept request and create response
    ('http://h/volume/v3/p/os-volume-transfer/t/accept',
     {'accept': {'auth_key': SECRET}}),
    ('http://h/volume/v3/p/volume-transfers',
     {'transfer': {'id': 't', 'auth_key': SECRET, 'name': 'n'}}),
    # barbican, as JSON
    ('http://h/key-manager/v1/secrets',
     {'name': 'k', 'payload': SECRET, 'payload_content_type': 'text/plain'}),
    # manila cephx access rule
    ('http://h/share/v2/p/share-access-rules/r',
     {'access': {'access_to': 'alice', 'access_key': SECRET}}),
    # rbd connection info
    ('http://h/volume/v3/p/attachments/a',
     {'attachment': {'connection_info': {'driver_volume_type': 'rbd',
                                         'keyring': SECRET}}}),
    # keystone ec2tokens and s3tokens
    ('http://h/identity/v3/ec2tokens',
     {'credentials': {'access': 'AK', 'signature': SECRET,
                      'host': 'h', 'verb': 'GET', 'path': '/'}}),
    ('http://h/identity/v3/s3tokens',
     {'credentials': {'access': 'AK', 'signature': SECRET, 'token': 'x'}}),
    # keystone OAuth1
    ('http://h/identity/v3/OS-OAUTH1/authorize/r',
     {'token': {'oauth_verifier': SECRET}}),
])
def test_openstack_secrets_in_json_bodies(redactor, url, data):
    line = _logged(redactor, url, data)
    assert SECRET not in line
    assert SECRET not in _logged(redactor, url, json.dumps(data)[:-2],
                                 'application/json')


@pytest.mark.parametrize('url, method', [
    ('http://h/key-manager/v1/secrets/%s/payload' % SECRET_ID, 'GET'),
    ('http://h:9311/v1/secrets/%s' % SECRET_ID, 'GET'),
    ('http://h:9311/v1/secrets/%s' % SECRET_ID, 'PUT'),
    ('http://h:9311/v1/secrets/%s/payload?x=1' % SECRET_ID, 'GET'),
])
@pytest.mark.parametrize('content_type', ['text/plain',
                                          'application/octet-stream'])
def test_barbican_payload_bodies_not_kept(redactor, url, method,
                                          content_type):
    line = _logged(redactor, url, SECRET, content_type, method)
    assert SECRET not in line
    assert base64.b64encode(SECRET.encode()).decode() not in line
    body = event.decode(line)['body']
    assert body['kind'] == event.BODY_OMITTED
    assert body['size'] == len(SECRET)


def test_barbican_secret_metadata_kept(redactor):
    line = _logged(redactor, 'http://h:9311/v1/secrets/%s' % SECRET_ID,
                   {'name': 'k', 'status': 'ACTIVE'}, method='GET')
    assert event.decode(line)['body']['data'] == {'name': 'k',
                                                  'status': 'ACTIVE'}


def test_metadata_provider_signature_hashed(redactor):
    made = _event('http://169.254.169.254/openstack', None, 'GET',
                  [('X-Metadata-Provider-Signature', SECRET)])
    assert SECRET not in redactor.encode(made).decode()


@pytest.mark.parametrize('text', [
    'oauth_token=t&oauth_verifier=%s' % SECRET,
    'SAMLResponse=%s&RelayState=x' % SECRET,
    '<?xml version="1.0"?><samlp:Response><saml:Assertion ID="a">'
    '<saml:Subject>%s</saml:Subject></saml:Assertion></samlp:Response>'
    % SECRET,
    '<soap:Envelope><soap:Body><samlp:Response><saml2:Assertion>'
    '<ds:SignatureValue>%s</ds:SignatureValue>' % SECRET,
    '<EncryptedAssertion><CipherValue>%s</CipherValue>'
    '</EncryptedAssertion>' % SECRET,
])
def test_oauth_and_saml_in_text_bodies(redactor, text):
    line = _logged(redactor, 'http://h/identity/v3/auth/OS-FEDERATION/'
                   'saml2', text, 'text/xml')
    assert SECRET not in line


def test_what_follows_an_assertion_stays(redactor):
    text = ('<r><saml:Assertion>%s</saml:Assertion><status>ok</status>'
            '</r>' % SECRET)
    result = redactor.redact_text(text)
    assert SECRET not in result
    assert result.endswith('</saml:Assertion><status>ok</status></r>')


@pytest.mark.parametrize('key', strutils._SANITIZE_KEYS)
def test_every_key_oslo_utils_masks_is_masked(redactor, key):
    line = _logged(redactor, 'http://h/x', {'data': {key: SECRET}})
    assert SECRET not in line


# -- item 10: configured lists add to the defaults ---------------------------

def _password_event():
    return _event('http://h/volume/v3/p/os-volume-transfer/t/accept',
                  _record({'accept': {'auth_key': SECRET, 'pin': '1234'},
                           'password': SECRET}, 'application/json'),
                  headers=[('X-Auth-Token', SECRET), ('X-Custom', SECRET)])


def _config(tmp_path, lines):
    path = tmp_path / 'requestshook.conf'
    path.write_text('[DEFAULT]\n' + ''.join(line + '\n' for line in lines))
    return str(path)


@pytest.mark.parametrize('how', ['file', 'paste option'])
def test_configured_lists_add_to_the_defaults(tmp_path, how):
    from requestshook.recording import settings as settings_module
    chosen = {'redact_body_keys': 'pin', 'redact_headers': 'X-Custom'}
    if how == 'file':
        loaded = settings_module.load(_config(tmp_path, [
            '%s = %s' % item for item in sorted(chosen.items())]))
    else:
        loaded = settings_module.load(None, overrides=chosen)
    line = redact.for_settings(loaded).encode(_password_event()).decode()
    assert SECRET not in line
    # The pin's value, not digits that random hex ids may hold.
    assert event.decode(line)['body']['data']['accept']['pin'] == '***'


def test_an_explicit_option_removes_a_default(tmp_path):
    from requestshook.recording import settings as settings_module
    loaded = settings_module.load(_config(tmp_path, [
        'unredacted_body_keys = auth_key',
        'unredacted_headers = x-auth-token']))
    logged = event.decode(redact.for_settings(loaded).encode(
        _password_event()))
    assert logged['body']['data']['accept']['auth_key'] == SECRET
    assert logged['body']['data']['password'] == '***'
    assert logged['headers'][0] == ['X-Auth-Token', SECRET]


def test_redactor_lists_add_to_the_defaults():
    custom = redact.Redactor(['X-Custom'], ['pin'])
    logged = event.decode(custom.encode(_password_event()))
    assert logged['headers'][0][1].startswith('{SHA256}')
    assert logged['headers'][1][1].startswith('{SHA256}')
    assert logged['body']['data']['accept'] == {'auth_key': '***',
                                                'pin': '***'}
