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

:class:`Stack` writes the configs (:mod:`.configs`,
:mod:`.computeconfigs`), starts MariaDB and RabbitMQ (:mod:`.backends`),
bootstraps keystone, glance, swift, nova and neutron with their own
tools, puts requestshook in place with requestshook's own tools, starts
every service on 127.0.0.1, waits until each answers, registers them in
the catalog, and stops exactly what it started (:mod:`.processes`), also
after a failure.  The compute part (:mod:`.compute`) is optional.
"""

import concurrent.futures
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

from requestshook.loopback import backends
from requestshook.loopback import compute
from requestshook.loopback import configs
from requestshook.loopback import debian
from requestshook.loopback import imagepart
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
    """Real keystone, glance, swift (and compute) on 127.0.0.1.

    Use as a context manager, or call :meth:`up` and :meth:`down`.
    ``with_compute`` adds nova, placement, neutron-server and RabbitMQ.
    A new temporary folder, ``root``, holds every config, the databases,
    the swift device, the services' output under ``logs/`` and the
    shared requestshook log; it is removed by :meth:`down` unless
    ``keep_root``.  ``detach`` leaves the services running when this
    process exits (``python -m requestshook.loopback up``).
    """

    Error = StackError

    def __init__(self, venv, detach=False, keep_root=False,
                 with_compute=True):
        self.venv = venv
        self.with_compute = with_compute
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

    def run_step(self, name, argv, env=None, cwd=None, ok=(0,)):
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
                self.run_step(*step[:2],
                              **step[2] if len(step) > 2 else {})

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
            if self.with_compute:
                compute.write_configs(self)
            self._insert_filters()
            self._start_backends()
            self._bootstrap()
            self._start_services()
            self._register_catalog()
            if self.with_compute:
                self._finish_compute()
            self.set_capture(True)
            self._write_state()
        except BaseException:
            # Keep the configs and the services' output for a post-mortem.
            self.keep_root = True
            self.down()
            progress.say('the stack did not come up; its files stay in %s'
                         % self.root)
            raise
        progress.say('stack up in %.0fs: %s' % (
            time.monotonic() - started,
            ', '.join('%s %s' % (name, self.site.url(name))
                      for name in configs.MAPPED_SERVICES
                      if name in self._ready_urls)))
        return self

    def _insert_filters(self):
        pastes = imagepart.paste_files(self.site)
        if self.with_compute:
            pastes += compute.paste_files(self.site)
        progress.say('inserting the requestshook filter into the paste '
                     'pipelines of %s' % ', '.join(n for _, n in pastes))
        for path, name in pastes:
            self.run_step('paste-insert-' + name,
                          [self.venv.bin('requestshook'), 'paste', 'insert',
                           path, '--service-name', name])

    def _start_backends(self):
        try:
            wanted = backends.choose(self, self.with_compute)
        except debian.Missing as missing:
            raise StackError('the compute part needs MariaDB and RabbitMQ: '
                             '%s' % missing)
        if 'rabbitmq' in wanted:
            backends.start_rabbitmq(self)
        if 'mariadb' in wanted:
            names = ['keystone', 'glance']
            if self.with_compute:
                names += compute.databases()
            backends.start_mariadb(self, names)

    def _bootstrap(self):
        database = 'MariaDB' if self.site.mariadb else 'SQLite'
        progress.say('bootstrapping keystone (%s, fernet), glance (%s), '
                     'swift (rings, one replica)%s in parallel'
                     % (database, database,
                        ', nova and neutron (MariaDB)' if self.with_compute
                        else ''))
        chains = imagepart.bootstrap_chains(self)
        if self.with_compute:
            chains += compute.bootstrap_chains(self)
        self._run_chains(chains)

    def start_child(self, name, argv, ready_url=None, **extra_env):
        """Start a service; ``ready_url`` is waited for by the stack."""
        progress.say('starting %s%s' % (name, ' on %s' % ready_url
                                        if ready_url else ''))
        child = processes.Child(
            name, argv, self.env(REQUESTSHOOK_ENABLE=name, **extra_env),
            self._log(name), cwd=self.root, detach=self.detach)
        self.children.append(child)
        if ready_url:
            self._ready_urls[name] = ready_url
        return child

    def child(self, name):
        return [child for child in self.children if child.name == name][0]

    def check_alive(self, child):
        if not child.alive():
            raise StackError('%s exited (status %s); %s ends with:\n%s'
                             % (child.name, child.process.returncode,
                                child.log_path,
                                processes.tail(child.log_path)))

    def fail_not_ready(self, child, what):
        raise StackError('%s: no %s within %ds; %s ends with:\n%s'
                         % (child.name, what, READY_TIMEOUT,
                            child.log_path, processes.tail(child.log_path)))

    def gunicorn(self, name, target):
        return [self.venv.bin('gunicorn'),
                '--bind', '127.0.0.1:%d' % self.site.ports[name],
                '--workers', '1', '--threads', '4', '--timeout', '300',
                '--name', name, target]

    def _start_services(self):
        imagepart.start_services(self)
        if self.with_compute:
            compute.start_services(self)
        for child in self.children:
            if child.name in self._ready_urls:
                self._wait_ready(child)

    def _wait_ready(self, child):
        progress.say('waiting for %s' % child.name)
        url = self._ready_urls[child.name]
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            self.check_alive(child)
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return
            except urllib.error.HTTPError:
                return    # it answers: ready, whatever the status
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.fail_not_ready(child, 'answer on %s' % url)

    def catalog_commands(self):
        site = self.site
        commands = imagepart.catalog_commands(site)
        if self.with_compute:
            commands += compute.catalog_commands(site)
        return commands

    def _register_catalog(self):
        progress.say('registering the services in the catalog, their '
                     'users, project demo')
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

    def _finish_compute(self):
        backends.wait_rabbitmq(self)
        compute.start_daemons(self)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            commands = [pool.submit(compute.create_flavor, self),
                        pool.submit(compute.warm_up_neutron, self)]
            compute.start_compute(self)
            for command in commands:
                command.result()

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
        """Stop the services at once, then MariaDB, RabbitMQ and epmd."""
        services = [child for child in self.children
                    if child.name not in backends.NAMES]
        for group in (services, [child for child in self.children
                                 if child not in services]):
            if group:
                progress.say('stopping %s' % ', '.join(c.name for c in group))
            killed = processes.stop_together(group)
            if killed:
                progress.say('killed (did not stop within 10 s): %s'
                             % ', '.join(killed))
        self.children = []
        configs.release_ports(self.site.ports)
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
