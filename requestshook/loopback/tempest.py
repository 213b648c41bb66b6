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

"""Tempest against the loopback stack, recording on and then off.

``python -m requestshook.loopback tempest`` (``tox -e tempest``) brings
the stack up, runs the same Tempest selection twice on it, first with
recording on and then off (switched at runtime through the stack's
requestshook.conf), and compares the results test by test
(:mod:`requestshook.loopback.tempest_results`): any test whose result
differs between the modes, or that fails in both for a cause not listed
in ``KNOWN_FAILURES``, fails the run.  The log of the on run must be
strict JSON and hold no secret; the off run must write nothing but the
closing events of calls opened while recording was on
(:mod:`requestshook.loopback.tempest_checks`).
"""

import configparser
import io
import os
import subprocess
import sys
import time

from requestshook.loopback import progress
from requestshook.loopback import tempest_checks
from requestshook.loopback import tempest_results

TEMPEST_VERSION = '47.0.0'
SELECTION = r'^tempest\.api\.(image|object_storage|identity)\.'
COMPUTE_SELECTION = (r'^tempest\.api\.compute\.servers\.'
                     r'(test_servers|test_list_server_filters|'
                     r'test_server_actions|test_create_server)\.')
CONCURRENCY = 2
# The discoverable APIs of the stack's swift proxy (configs.PROXY_PIPELINE).
SWIFT_APIS = ('bulk_delete', 'bulk_upload', 'tempurl', 'crossdomain',
              'formpost', 'staticweb', 'container_quotas', 'account_quotas',
              'slo', 'dlo', 'versioned_writes')
RUN_TIMEOUT = 3600


def venv_path():
    return os.path.join(os.path.expanduser('~'), '.cache', 'requestshook',
                        'tempest-%s' % TEMPEST_VERSION)


def ensure_venv(path=None):
    """A venv holding the pinned Tempest; built once, then reused."""
    path = path or venv_path()
    tempest = os.path.join(path, 'bin', 'tempest')
    marker = os.path.join(path, '.requestshook-tempest-ok')
    if os.path.exists(marker) and os.path.exists(tempest):
        return path
    progress.say('building the Tempest %s venv in %s (about a minute)'
                 % (TEMPEST_VERSION, path))
    subprocess.run([sys.executable, '-m', 'venv', path], check=True)
    subprocess.run([os.path.join(path, 'bin', 'pip'), 'install', '--quiet',
                    '--disable-pip-version-check',
                    'tempest==%s' % TEMPEST_VERSION], check=True)
    with open(marker, 'w') as stream:
        stream.write(TEMPEST_VERSION + '\n')
    return path


def tempest_conf(site, compute=None):
    """tempest.conf for the stack of ``site``.

    ``compute``: ``{'image_ref': id, 'flavor_ref': id}`` when nova runs.
    """
    conf = configparser.ConfigParser(interpolation=None)
    conf.optionxform = str
    conf.read_dict({
        'DEFAULT': {'log_file': 'tempest.log', 'use_stderr': 'false'},
        'auth': {
            'admin_username': 'admin',
            'admin_password': site.passwords['admin'],
            'admin_project_name': 'admin',
            'admin_domain_name': 'Default',
            'use_dynamic_credentials': 'true',
            'create_isolated_networks': 'false',
        },
        'identity': {
            'uri_v3': site.auth_url,
            'auth_version': 'v3',
            'region': 'RegionOne',
            'v3_endpoint_type': 'public',
            'disable_ssl_certificate_validation': 'true',
        },
        'identity-feature-enabled': {
            'application_credentials': 'true',
            'access_rules': 'true',
            'trust': 'true',
            'project_tags': 'true',
        },
        'service_available': {
            'glance': 'true', 'swift': 'true',
            'nova': 'true' if compute else 'false',
            'neutron': 'false', 'cinder': 'false', 'heat': 'false',
            'horizon': 'false',
        },
        'image': {'build_timeout': '120', 'region': 'RegionOne'},
        'image-feature-enabled': {'import_image': 'true'},
        'object-storage': {
            'region': 'RegionOne',
            'operator_role': 'member',
            'reseller_admin_role': 'ResellerAdmin',
            'build_timeout': '60',
        },
        # What the stack's proxy pipeline runs (no container-sync daemon,
        # no container_sync middleware).
        'object-storage-feature-enabled': {
            'discoverability': 'true', 'container_sync': 'false',
            'discoverable_apis': ', '.join(SWIFT_APIS)},
        # No cinder: nothing depends on volumes.
        'volume-feature-enabled': {'enable_volume_image_dep_tests': 'false'},
        'validation': {'run_validation': 'false'},
    })
    if compute:
        conf.read_dict({
            'compute': {
                'image_ref': compute['image_ref'],
                'image_ref_alt': compute['image_ref'],
                'flavor_ref': compute['flavor_ref'],
                'flavor_ref_alt': compute.get('flavor_ref_alt',
                                              compute['flavor_ref']),
                'region': 'RegionOne',
                'build_timeout': '120',
            },
            'compute-feature-enabled': {
                'console_output': 'false', 'resize': 'false',
                'snapshot': 'false', 'attach_encrypted_volume': 'false',
                'interface_attach': 'false', 'vnc_console': 'false',
            },
        })
    text = io.StringIO()
    conf.write(text)
    return text.getvalue()


class TempestRun(object):
    """One Tempest workspace on one stack."""

    def __init__(self, stack, venv, compute=None):
        self.stack = stack
        self.venv = venv
        self.workspace = stack.site.path('tempest')
        self.compute = compute

    def _bin(self, name):
        return os.path.join(self.venv, 'bin', name)

    def _env(self):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(('OS_', 'REQUESTSHOOK_'))}
        env.pop('PYTHONPATH', None)
        env.pop('VIRTUAL_ENV', None)
        return env

    def prepare(self):
        if not os.path.isdir(self.workspace):
            # A workspace registry of its own: ~/.tempest/workspace.yaml
            # refuses a second workspace of the same name.
            init = subprocess.run(
                [self._bin('tempest'), 'init', '--name',
                 os.path.basename(self.stack.root), '--workspace-path',
                 self.stack.site.path('tempest-workspaces.yaml'),
                 self.workspace],
                env=self._env(), capture_output=True, text=True)
            if init.returncode:
                raise RuntimeError('tempest init failed: %s'
                                   % init.stderr.strip()[-2000:])
        with open(os.path.join(self.workspace, 'etc', 'tempest.conf'),
                  'w') as stream:
            stream.write(tempest_conf(self.stack.site, self.compute))

    def run(self, label, regex, concurrency=CONCURRENCY):
        """Run the selection; returns {test: status}."""
        subunit = os.path.join(self.workspace, '%s.subunit' % label)
        started = time.monotonic()
        progress.say('tempest (%s): %s, concurrency %d'
                     % (label, regex, concurrency))
        with open(subunit, 'wb') as out:
            subprocess.run(
                [self._bin('tempest'), 'run', '--regex', regex,
                 '--concurrency', str(concurrency), '--subunit'],
                cwd=self.workspace, env=self._env(), stdout=out,
                stderr=subprocess.DEVNULL, timeout=RUN_TIMEOUT)
        with open(subunit, 'rb') as stream:
            # It exits 1 when a test failed: the CSV is what counts.
            csv_text = subprocess.run(
                [self._bin('subunit2csv')], stdin=stream,
                capture_output=True).stdout.decode()
        results = tempest_results.parse_results(csv_text)
        progress.say('tempest (%s): %d tests in %.0fs'
                     % (label, len(results), time.monotonic() - started))
        return results


def compute_refs(stack):
    """Image and flavor for the compute tests, or None without nova.

    The image is the one the compute scenarios boot (the fake driver never
    reads it); the flavor is the stack's m1.tiny (id 1).
    """
    if not getattr(stack, 'with_compute', False):
        return None
    from requestshook.loopback import computescenarios
    folder = stack.site.path('tempest-image')
    os.makedirs(folder, exist_ok=True)
    image = computescenarios.upload_image(stack, folder)
    done = stack.openstack(['flavor', 'create', '--id', '2', '--ram', '128',
                            '--disk', '1', '--vcpus', '1', 'm1.small'],
                           record=False)
    if done.returncode:
        raise RuntimeError('flavor m1.small: %s%s'
                           % (done.stdout, done.stderr))
    return {'image_ref': image, 'flavor_ref': '1', 'flavor_ref_alt': '2'}


def run_switched_off(tempest, stack, label, regex, concurrency):
    """Switch recording off, run, and see what was written meanwhile.

    The log's size is taken once every process has seen the switch
    (:meth:`set_capture` waits for that): an event of a call recorded
    while recording was still on, such as a daemon's periodic call in
    that window, is not counted as written while off.  Returns (results,
    :class:`tempest_checks.Written`), which tells the closing events of
    calls opened while on from lines that should not be there.
    """
    stack.set_capture(False)
    size = os.path.getsize(stack.log_file)
    results = tempest.run(label, regex, concurrency)
    return results, tempest_checks.written_since(stack.log_file, size)


def settle_differences(tempest, stack, on, off):
    """Run the tests whose results differ again, alone, in both modes.

    Two workers sharing one keystone make a few identity tests flaky in
    both modes; a test run alone in each mode shows whether recording
    changes its result.  Returns (tests rerun, what was written while
    off, a :class:`tempest_checks.Written` or None).
    """
    differ = tempest_results.Comparison(on, off).differ
    if not differ:
        return [], None
    regex = tempest_results.rerun_regex(differ)
    stack.set_capture(True)
    on_again = tempest.run('rerun-recording-on', regex, 1)
    off_again, written = run_switched_off(
        tempest, stack, 'rerun-recording-off', regex, 1)
    for test in set(on_again) | set(off_again):
        on[test] = on_again.get(test, tempest_results.NOT_RUN)
        off[test] = off_again.get(test, tempest_results.NOT_RUN)
    return sorted(set(on_again) | set(off_again)), written


def run(stack, regex=None, concurrency=CONCURRENCY, compute=None):
    """On then off on ``stack``; prints the table; returns an exit code."""
    venv = ensure_venv()
    if regex is None:
        regex = SELECTION if not compute else '(%s|%s)' % (
            SELECTION, COMPUTE_SELECTION)
    tempest = TempestRun(stack, venv, compute)
    tempest.prepare()

    stack.set_capture(True)
    on = tempest.run('recording-on', regex, concurrency)
    off, written = run_switched_off(tempest, stack, 'recording-off', regex,
                                    concurrency)
    rerun, written_again = settle_differences(tempest, stack, on, off)
    log_check = tempest_checks.check_log(stack.log_file,
                                         stack.site.passwords.values())

    comparison = tempest_results.Comparison(on, off)
    print(comparison.table())
    if rerun:
        print('run again alone in both modes (their results differed '
              'under concurrency): %s' % ', '.join(rerun))
    print(log_check.summary())
    strays = 0
    for label, what in (('recording-off', written),
                        ('rerun-recording-off', written_again)):
        if what is not None and what.bytes:
            strays += len(what.strays)
            print('%s wrote %s' % (label, what.summary()))
    print('recording off wrote %d lines besides the closing events of '
          'calls opened while on' % strays)
    ok = comparison.ok and log_check.ok and strays == 0 and on
    return 0 if ok else 1
