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

"""The compute part of the stack: nova, placement and neutron-server.

- nova-api: uwsgi serving ``nova.wsgi.osapi_compute``, nova's shipped
  ``api-paste.ini`` with the filter ``requestshook paste insert`` puts in;
- placement-api: gunicorn serving ``requestshook.wsgi`` around
  ``placement.wsgi.api`` (placement has no paste file);
- neutron-server: uwsgi serving ``neutron.wsgi.api``, ML2 with no
  mechanism driver (networks and ports in the database, no agent), its
  shipped ``api-paste.ini`` with the filter;
- nova-conductor, nova-scheduler and nova-compute (``fake.SmallFakeDriver``)
  hooked by the start-up hook (``REQUESTSHOOK_ENABLE``).

Set-up follows nova's own order: api_db sync, map_cell0, create_cell,
db sync; compute is started once the conductor has registered, and
``discover_hosts`` maps it once its node exists.
"""

import subprocess
import time

from requestshook.loopback import computeconfigs
from requestshook.loopback import debian
from requestshook.loopback import progress

READY_TIMEOUT = 120.0
FLAVOR = 'm1.tiny'
USERS = ('nova', 'placement', 'neutron')


def write_configs(stack):
    computeconfigs.write_all(stack.site,
                             stack.venv.shipped('nova', 'api-paste.ini'),
                             stack.venv.shipped('neutron', 'api-paste.ini'))


def paste_files(site):
    """(paste file, service name) the filter goes into."""
    return [(computeconfigs.nova_paste(site), 'nova-api'),
            (computeconfigs.neutron_paste(site), 'neutron-server')]


def _nova_manage(stack, *args, with_db=True):
    files = ['nova.conf'] + (['nova-db.conf'] if with_db else [])
    argv = [stack.venv.bin('nova-manage')]
    for name in files:
        argv += ['--config-file', stack.site.path('nova', name)]
    return argv + list(args)


def _neutron_files(site):
    return ['--config-file', site.path('neutron', 'neutron.conf'),
            '--config-file', site.path('neutron', 'ml2_conf.ini')]


def bootstrap_chains(stack):
    """Chains of set-up commands, run beside keystone's and glance's."""
    site = stack.site
    return [
        [('nova-api-db-sync', _nova_manage(stack, 'api_db', 'sync')),
         ('nova-map-cell0', _nova_manage(
             stack, 'cell_v2', 'map_cell0', '--database_connection',
             site.database_url('nova_cell0'))),
         ('nova-create-cell1', _nova_manage(
             stack, 'cell_v2', 'create_cell', '--name', 'cell1')),
         ('nova-db-sync', _nova_manage(stack, 'db', 'sync'))],
        [('neutron-db-manage', [stack.venv.bin('neutron-db-manage')] +
          _neutron_files(site) + ['upgrade', 'heads'])],
    ]


def _uwsgi(stack, name, module, **env):
    argv = [stack.venv.bin('uwsgi'),
            '--http-socket', '127.0.0.1:%d' % stack.site.ports[name],
            '--module', module, '--virtualenv', stack.venv.path,
            '--master', '--processes', '1', '--threads', '4',
            '--enable-threads', '--die-on-term', '--need-app',
            '--lazy-apps', '--buffer-size', '65535',
            '--worker-reload-mercy', '3', '--reload-mercy', '3',
            '--add-header', 'Connection: close',
            '--procname-prefix-spaced', name, '--disable-logging']
    for key, value in sorted(env.items()):
        argv += ['--env', '%s=%s' % (key, value)]
    return argv


def start_services(stack):
    """The API services; not waited."""
    site = stack.site
    nova_dir = site.path('nova')
    stack.start_child(
        'placement-api',
        stack.gunicorn('placement-api', 'requestshook.wsgi:application'),
        site.url('placement-api'),
        REQUESTSHOOK_WSGI_APP='placement.wsgi.api:application',
        REQUESTSHOOK_SERVICE_NAME='placement-api',
        OS_PLACEMENT_CONFIG_DIR=site.path('placement'))
    stack.start_child(
        'nova-api', _uwsgi(stack, 'nova-api',
                           'nova.wsgi.osapi_compute:application'),
        site.url('nova-api'),
        OS_NOVA_CONFIG_DIR=nova_dir,
        OS_NOVA_CONFIG_FILES='api-paste.ini;nova.conf;nova-db.conf')
    stack.start_child(
        'neutron-server', _uwsgi(stack, 'neutron-server',
                                 'neutron.wsgi.api:application'),
        site.url('neutron-server'),
        OS_NEUTRON_CONFIG_DIR=site.path('neutron'),
        OS_NEUTRON_CONFIG_FILES='neutron.conf;ml2_conf.ini')


def start_daemons(stack):
    """The conductor and the scheduler (their users must exist)."""
    site = stack.site
    for daemon in ('nova-conductor', 'nova-scheduler'):
        stack.start_child(daemon, [
            stack.venv.bin(daemon),
            '--config-file', site.path('nova', 'nova.conf'),
            '--config-file', site.path('nova', 'nova-db.conf')])


def catalog_commands(site):
    # The service role too (keystone-manage bootstrap made it):
    # keystonemiddleware refuses a service token (nova sends one with the
    # user's) whose user lacks it.
    commands = []
    for user in USERS:
        commands += [
            'user create --domain default --password=%s %s'
            % (site.passwords[user], user),
            'role add --project service --user %s admin' % user,
            'role add --project service --user %s service' % user]
    for name, kind, url in (
            ('nova', 'compute', site.url('nova-api') + '/v2.1'),
            ('placement', 'placement', site.url('placement-api')),
            ('neutron', 'network', site.url('neutron-server'))):
        commands.append('service create --name %s %s' % (name, kind))
        commands += ['endpoint create --region RegionOne %s %s %s'
                     % (kind, interface, url)
                     for interface in ('public', 'internal', 'admin')]
    return commands


def _count(stack, sql):
    done = subprocess.run(
        debian.mariadb_client(stack.site.ports['mariadb'], sql) +
        ['--batch', '--skip-column-names'],
        capture_output=True, text=True)
    try:
        return int(done.stdout.strip() or 0)
    except ValueError:
        return 0


def _wait_rows(stack, what, sql, watched):
    progress.say('waiting for %s' % what)
    deadline = time.monotonic() + READY_TIMEOUT
    while _count(stack, sql) < 1:
        for child in watched:
            stack.check_alive(child)
        if time.monotonic() > deadline:
            stack.fail_not_ready(watched[-1], what)
        time.sleep(0.5)


def start_compute(stack):
    """nova-compute, once the conductor registered; then its host mapped."""
    site = stack.site
    conductor = stack.child('nova-conductor')
    _wait_rows(stack, 'nova-conductor to register',
               "SELECT COUNT(*) FROM nova.services WHERE "
               "`binary` = 'nova-conductor'", [conductor])
    stack.start_child('nova-compute', [
        stack.venv.bin('nova-compute'),
        '--config-file', site.path('nova', 'nova.conf')])
    _wait_rows(stack, 'nova-compute to report its node',
               "SELECT COUNT(*) FROM nova.compute_nodes WHERE deleted = 0",
               [conductor, stack.child('nova-compute')])
    stack.run_step('nova-discover-hosts', _nova_manage(
        stack, 'cell_v2', 'discover_hosts', '--strict'))


def flavor_argv():
    return ['flavor', 'create', '--id', '1', '--ram', '64', '--disk', '1',
            '--vcpus', '1', FLAVOR]


def _openstack(stack, argv):
    done = stack.openstack(argv, record=False)
    if done.returncode:
        raise stack.Error('openstack %s failed (exit %d): %s%s'
                          % (' '.join(argv), done.returncode, done.stdout,
                             done.stderr))


def create_flavor(stack):
    progress.say('creating flavor %s' % FLAVOR)
    _openstack(stack, flavor_argv())


def warm_up_neutron(stack):
    """One query before the first port list.

    neutron 29's ``get_ports`` reads ``Port.port_forwardings``, a backref
    SQLAlchemy only adds when it configures the mappers, on a worker's
    first query: a worker whose first request lists ports answers 500
    (AttributeError).  Listing networks first configures them.
    """
    progress.say('listing networks once (neutron-server warm-up)')
    _openstack(stack, ['network', 'list'])


def databases():
    return list(computeconfigs.DATABASES)
