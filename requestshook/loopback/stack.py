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

"""Bring the loopback stack up and down.

:class:`Stack` writes the configs (:mod:`.configs`), bootstraps keystone,
glance and swift with their own tools, puts requestshook in place with
requestshook's own tools, starts every service on 127.0.0.1, waits until
each answers, registers glance and swift in the catalog, and stops exactly
what it started (:mod:`.processes`), also after a failure.
"""

import concurrent.futures
import grp
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from requestshook.loopback import configs
from requestshook.loopback import processes
from requestshook.loopback import progress

READY_TIMEOUT = 120.0
COMMAND_TIMEOUT = 300.0
RELOAD_SECONDS = 2.0
STATE_FILE = 'stack.json'
# What ``requestshook record`` says on stderr when the command is done.
_RECORDED_TRACE = re.compile(r'^requestshook: trace ([0-9a-f]{32}):', re.M)
# Environment of the caller that must not leak into the stack.
_FOREIGN_ENV = re.compile(r'^(OS_|REQUESTSHOOK_|PYTHONPATH$|VIRTUAL_ENV$)')


class StackError(Exception):
    """The stack could not be brought up."""


class Stack(object):
    """Real keystone, glance and swift on 127.0.0.1 with requestshook.

    Use as a context manager, or call :meth:`up` and :meth:`down`.
    A new temporary folder, ``root``, holds every config, the databases,
    the swift device, the services' output under ``logs/`` and the
    shared requestshook log; it is removed by :meth:`down` unless
    ``keep_root``.  ``detach`` leaves the services running when this
    process exits (``python -m requestshook.loopback up``).
    """

    def __init__(self, venv, detach=False, keep_root=False):
        self.venv = venv
        self.root = tempfile.mkdtemp(prefix='requestshook-stack-')
        self.keep_root = keep_root
        self.detach = detach
        self.site = configs.Site(self.root)
        self.children = []
        self._ready_urls = {}

    # -- environment -----------------------------------------------------

    def env(self, **extra):
        """The environment of every process of the stack."""
        env = {key: value for key, value in os.environ.items()
               if not _FOREIGN_ENV.match(key)}
        env['PATH'] = os.pathsep.join([os.path.dirname(self.venv.python),
                                       env.get('PATH', '/usr/bin:/bin')])
        env['REQUESTSHOOK_CONFIG'] = self.site.requestshook_conf
        env.update(extra)
        return env

    def cli_env(self, **extra):
        """The environment of an ``openstack`` command, as admin."""
        return self.env(
            OS_AUTH_URL=self.site.auth_url,
            OS_IDENTITY_API_VERSION='3',
            OS_USERNAME='admin',
            OS_PASSWORD=self.site.passwords['admin'],
            OS_PROJECT_NAME='admin',
            OS_USER_DOMAIN_NAME='Default',
            OS_PROJECT_DOMAIN_NAME='Default',
            OS_REGION_NAME='RegionOne',
            OS_INTERFACE='public',
            **extra)

    @property
    def log_file(self):
        """The shared requestshook log every process appends to."""
        return self.site.log_file

    def set_capture(self, enabled, settle=RELOAD_SECONDS):
        """Switch recording on or off, without a restart.

        Every process re-reads a changed file at most once a second:
        ``settle`` seconds are waited so that all have.
        """
        configs.write(self.site.requestshook_conf,
                      configs.requestshook_conf(self.site, enabled))
        time.sleep(settle)

    # -- running commands --------------------------------------------------

    def _log(self, name):
        return self.site.path('logs', name + '.log')

    def _run(self, name, argv, env=None, cwd=None, ok=(0,)):
        status = processes.run(argv, env or self.env(), self._log(name),
                               COMMAND_TIMEOUT, cwd=cwd)
        if status not in ok:
            raise StackError('%s failed (exit %d): %s\n%s'
                             % (name, status, ' '.join(argv),
                                processes.tail(self._log(name))))

    def _run_chains(self, chains):
        """Run lists of commands: the lists at once, each list in order."""
        def run_chain(chain):
            for step in chain:
                self._run(*step[:2], **step[2] if len(step) > 2 else {})

        with concurrent.futures.ThreadPoolExecutor(len(chains)) as pool:
            for future in [pool.submit(run_chain, chain) for chain in chains]:
                future.result()

    def openstack(self, args, record=True, timeout=300, input=None,
                  cwd=None):
        """Run ``openstack ARGS``, recorded as one flow named openstack.

        It runs in ``cwd`` (default: the stack folder).  Returns the
        ``subprocess.CompletedProcess`` (text output) with ``trace_id``:
        the flow's trace, as ``requestshook record`` says (None when not
        recorded).
        """
        argv = [self.venv.bin('openstack')] + list(args)
        if record:
            argv = [self.venv.bin('requestshook'), 'record', '--name',
                    'openstack', '--'] + argv
        done = subprocess.run(argv, env=self.cli_env(), input=input,
                              capture_output=True, text=True,
                              timeout=timeout, cwd=cwd or self.root)
        said = _RECORDED_TRACE.search(done.stderr) if record else None
        done.trace_id = said.group(1) if said else None
        return done

    # -- bringing up -------------------------------------------------------

    def up(self):
        started = time.monotonic()
        try:
            progress.say('stack folder %s' % self.root)
            configs.write_all(self.site,
                              self.venv.shipped('glance',
                                                'glance-api-paste.ini'),
                              capture_enabled=False)
            self._insert_filters()
            self._bootstrap()
            self._start_services()
            self._register_catalog()
            self.set_capture(True)
            self._write_state()
        except BaseException:
            # Keep the configs and the services' output for a post-mortem.
            self.keep_root = True
            self.down()
            progress.say('the stack did not come up; its files stay in %s'
                         % self.root)
            raise
        progress.say('stack up in %.0fs: keystone %s, glance-api %s, '
                     'swift %s' % (time.monotonic() - started,
                                   self.site.url('keystone'),
                                   self.site.url('glance-api'),
                                   self.site.url('swift-proxy-server')))
        return self

    def _insert_filters(self):
        progress.say('inserting the requestshook filter into glance-api and '
                     'swift-proxy-server paste pipelines')
        for path, name in ((self.site.glance_paste, 'glance-api'),
                           (self.site.swift_conf('proxy'),
                            'swift-proxy-server')):
            self._run('paste-insert-' + name,
                      [self.venv.bin('requestshook'), 'paste', 'insert', path,
                       '--service-name', name])

    def _bootstrap(self):
        progress.say('bootstrapping keystone (sqlite, fernet), glance '
                     '(sqlite) and swift (rings, one replica) in parallel')
        keystone_conf = self.site.path('keystone', 'keystone.conf')
        manage = [self.venv.bin('keystone-manage'), '--config-file',
                  keystone_conf]
        owner = ['--keystone-user', self.site.user, '--keystone-group',
                 grp.getgrgid(os.getgid()).gr_name]
        identity = self.site.auth_url
        bootstrap = manage + [
            'bootstrap', '--bootstrap-region-id', 'RegionOne',
            '--bootstrap-admin-url', identity,
            '--bootstrap-internal-url', identity,
            '--bootstrap-public-url', identity]
        chains = [
            [('keystone-db-sync', manage + ['db_sync']),
             ('keystone-bootstrap', bootstrap, {'env': self.env(
                 OS_BOOTSTRAP_PASSWORD=self.site.passwords['admin'])})],
            [('keystone-fernet-setup', manage + ['fernet_setup'] + owner)],
            [('keystone-credential-setup',
              manage + ['credential_setup'] + owner)],
            [('glance-db-sync', [self.venv.bin('glance-manage'),
                                 '--config-file',
                                 self.site.path('glance', 'glance-api.conf'),
                                 'db_sync'])],
        ]
        ports = {'account': 'swift-account-server',
                 'container': 'swift-container-server',
                 'object': 'swift-object-server'}
        for kind, service in sorted(ports.items()):
            builder = [self.venv.bin('swift-ring-builder'),
                       self.site.path('swift', kind + '.builder')]
            device = 'r1z1-127.0.0.1:%d/d1' % self.site.ports[service]
            cwd = {'cwd': self.site.path('swift')}
            # rebalance exits 1 for a mere warning.
            chains.append([
                ('ring-%s-create' % kind, builder + ['create', '10', '1',
                                                     '1'], cwd),
                ('ring-%s-add' % kind, builder + ['add', device, '1'], cwd),
                ('ring-%s-rebalance' % kind, builder + ['rebalance'],
                 dict(cwd, ok=(0, 1)))])
        self._run_chains(chains)

    def _start(self, name, argv, ready_url, **extra_env):
        progress.say('starting %s on %s' % (name, ready_url))
        child = processes.Child(
            name, argv, self.env(REQUESTSHOOK_ENABLE=name, **extra_env),
            self._log(name), cwd=self.root, detach=self.detach)
        self.children.append(child)
        self._ready_urls[name] = ready_url

    def _gunicorn(self, name, target):
        return [self.venv.bin('gunicorn'),
                '--bind', '127.0.0.1:%d' % self.site.ports[name],
                '--workers', '1', '--threads', '4', '--timeout', '300',
                '--name', name, target]

    def _start_services(self):
        site = self.site
        self._start('keystone',
                    self._gunicorn('keystone',
                                   'requestshook.wsgi:application'),
                    site.url('keystone') + '/v3',
                    REQUESTSHOOK_WSGI_APP='keystone.wsgi.api:application',
                    REQUESTSHOOK_SERVICE_NAME='keystone',
                    OS_KEYSTONE_CONFIG_DIR=site.path('keystone'))
        for kind in ('account', 'container', 'object'):
            name = 'swift-%s-server' % kind
            self._start(name, [self.venv.bin(name), site.swift_conf(kind),
                               '-v'],
                        site.url(name) + '/recon/version')
        self._start('swift-proxy-server',
                    [self.venv.bin('swift-proxy-server'),
                     site.swift_conf('proxy'), '-v'],
                    site.url('swift-proxy-server') + '/healthcheck')
        self._start('glance-api',
                    self._gunicorn('glance-api',
                                   'glance.wsgi.api:application'),
                    site.url('glance-api') + '/healthcheck',
                    OS_GLANCE_CONFIG_DIR=site.path('glance'))
        for child in self.children:
            self._wait_ready(child)

    def _wait_ready(self, child):
        progress.say('waiting for %s' % child.name)
        url = self._ready_urls[child.name]
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if not child.alive():
                raise StackError('%s exited (status %s); %s ends with:\n%s'
                                 % (child.name, child.process.returncode,
                                    child.log_path,
                                    processes.tail(child.log_path)))
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return
            except urllib.error.HTTPError:
                return    # it answers: ready, whatever the status
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise StackError('%s did not answer %s within %ds; %s ends with:\n%s'
                         % (child.name, url, READY_TIMEOUT,
                            child.log_path, processes.tail(child.log_path)))

    def catalog_commands(self):
        site = self.site
        commands = [
            'project create --domain default service',
            'project create --domain default demo',
        ]
        for user in ('glance', 'swift'):
            commands += [
                'user create --domain default --password=%s %s'
                % (site.passwords[user], user),
                'role add --project service --user %s admin' % user]
        for name, kind, url in (
                ('glance', 'image', site.url('glance-api')),
                ('swift', 'object-store',
                 site.url('swift-proxy-server') + '/v1/AUTH_%(project_id)s')):
            commands.append('service create --name %s %s' % (name, kind))
            commands += ['endpoint create --region RegionOne %s %s %s'
                         % (kind, interface, url)
                         for interface in ('public', 'internal', 'admin')]
        return commands

    def _register_catalog(self):
        progress.say('registering glance and swift in the catalog, users '
                     'glance and swift, project demo')
        commands = self.catalog_commands()
        # One interactive process for all: it exits 1 at the end of its
        # input even when every command worked, so read what it printed.
        done = self.openstack([], record=False,
                              input='\n'.join(commands) + '\n')
        created = len(re.findall(r'^\| id ', done.stdout, re.M))
        expected = sum(1 for c in commands if ' create ' in ' ' + c)
        if created != expected:
            raise StackError('catalog registration: %d of %d objects '
                             'created; openstack said:\n%s\n%s'
                             % (created, expected, done.stdout[-3000:],
                                done.stderr[-3000:]))

    def write_openrc(self):
        """A file to source for the CLI and requestshook of this stack."""
        path = self.site.path('openrc')
        env = self.cli_env(REQUESTSHOOK_LOG_FILE=self.log_file)
        names = sorted(key for key in env
                       if key.startswith(('OS_', 'REQUESTSHOOK_')))
        lines = ['export %s=%s' % (name, shlex.quote(env[name]))
                 for name in names]
        lines.append('export PATH=%s:"$PATH"'
                     % shlex.quote(os.path.dirname(self.venv.python)))
        configs.write(path, '\n'.join(lines) + '\n')
        return path

    def _write_state(self):
        state = {'root': self.root, 'services': [
            {'name': child.name, 'pid': child.pid, 'started': child.started}
            for child in self.children]}
        configs.write(self.site.path(STATE_FILE), json.dumps(state, indent=1))

    # -- bringing down -----------------------------------------------------

    def down(self):
        for child in reversed(self.children):
            progress.say('stopping %s' % child.name)
            child.stop()
        self.children = []
        if not self.keep_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc_info):
        self.down()


def down_from_state(root):
    """Stop the services a detached stack in ``root`` recorded."""
    with open(os.path.join(root, STATE_FILE)) as state_file:
        state = json.load(state_file)
    for service in reversed(state['services']):
        progress.say('stopping %s (pid %d)'
                     % (service['name'], service['pid']))
        processes.kill_group(service['pid'], service['started'])
