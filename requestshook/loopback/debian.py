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

"""MariaDB and RabbitMQ from Debian, run by the stack on 127.0.0.1.

The packages are installed with apt when missing and this process is
root; otherwise :class:`Missing` names the command to run.  Their
postinst does not start them in a container, and the stack does not use
the system's instances: each stack starts its own, under its own folder,
on ports of its own (epmd included), and stops them with the rest.
"""

import os
import shutil
import subprocess

from requestshook.loopback import progress

APT_PACKAGES = {'mariadb': 'mariadb-server', 'rabbitmq': 'rabbitmq-server'}
MARIADB_BINARIES = ('mariadb-install-db', 'mariadbd', 'mariadb')
RABBITMQ_BIN = '/usr/lib/rabbitmq/bin'
RABBITMQ_BINARIES = ('rabbitmq-server', 'rabbitmqctl')
APT_TIMEOUT = 900


class Missing(Exception):
    """A Debian package the stack needs is not installed."""


def _find(name):
    for folder in ('/usr/sbin', '/usr/bin', '/sbin', '/bin', RABBITMQ_BIN):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def mariadb_present():
    return all(_find(name) for name in MARIADB_BINARIES)


def rabbitmq_present():
    return (all(os.access(os.path.join(RABBITMQ_BIN, name), os.X_OK)
                for name in RABBITMQ_BINARIES) and bool(_find('epmd')))


def install_command(packages):
    return 'apt-get install -y ' + ' '.join(packages)


def ensure(wanted, log_path, install=True):
    """Install the packages of ``wanted`` ('mariadb', 'rabbitmq').

    Returns the names that are there afterwards.  Raises :class:`Missing`
    when one cannot be had, saying what to run.
    """
    present = {'mariadb': mariadb_present, 'rabbitmq': rabbitmq_present}
    missing = [name for name in wanted if not present[name]()]
    if not missing:
        return list(wanted)
    packages = [APT_PACKAGES[name] for name in missing]
    if not install or os.geteuid() != 0 or not shutil.which('apt-get'):
        raise Missing('%s not installed; run as root: %s'
                      % (', '.join(packages), install_command(packages)))
    progress.say('installing %s from Debian (apt-get, about 30 s)'
                 % ', '.join(packages))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    with open(log_path, 'ab') as log:
        for argv in (['apt-get', 'update', '-qq'],
                     ['apt-get', 'install', '-y', '-qq',
                      '-o', 'DPkg::Lock::Timeout=600'] + packages):
            status = subprocess.call(argv, stdout=log,
                                     stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL,
                                     timeout=APT_TIMEOUT)
            if status:
                raise Missing('%s failed (exit %d), see %s; install them '
                              'with: %s' % (' '.join(argv), status, log_path,
                                            install_command(packages)))
    still = [name for name in missing if not present[name]()]
    if still:
        raise Missing('apt-get installed %s but %s is still missing'
                      % (', '.join(packages), ', '.join(still)))
    return list(wanted)


# -- MariaDB ---------------------------------------------------------------

def mariadb_install_db(datadir):
    return [_find('mariadb-install-db'), '--no-defaults',
            '--datadir=' + datadir, '--user=' + _user(),
            '--auth-root-authentication-method=normal', '--skip-test-db']


def mariadbd(datadir, port, socket_path):
    return [_find('mariadbd'), '--no-defaults', '--datadir=' + datadir,
            '--user=' + _user(), '--bind-address=127.0.0.1',
            '--port=%d' % port, '--socket=' + socket_path,
            '--skip-log-bin', '--skip-name-resolve',
            '--innodb-buffer-pool-size=64M', '--max-connections=500',
            '--log-error=']


def mariadb_client(port, sql):
    """Root's client over TCP (root has no password, and only loopback)."""
    return [_find('mariadb'), '--no-defaults', '--protocol=TCP',
            '--host=127.0.0.1', '--port=%d' % port, '--user=root',
            '--execute=' + sql]


def create_databases_sql(names, user, password):
    """The databases, and one user (a random password) owning them."""
    quoted = password.replace('\\', '\\\\').replace("'", "\\'")
    statements = ['CREATE DATABASE `%s` CHARACTER SET utf8mb4' % name
                  for name in names]
    statements.append("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'"
                      % (user, quoted))
    statements += ["GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'127.0.0.1'"
                   % (name, user) for name in names]
    return ';\n'.join(statements) + ';'


# -- RabbitMQ --------------------------------------------------------------

def rabbitmq_conf(port, user, password):
    return ('listeners.tcp.1 = 127.0.0.1:%d\n'
            'default_user = %s\n'
            'default_pass = %s\n'
            'loopback_users = none\n'
            'log.console = true\n'
            'log.file = false\n' % (port, user, password))


def rabbitmq_env(folder, amqp_port, epmd_port, dist_port):
    """The environment that keeps a RabbitMQ node in ``folder``."""
    return {
        'HOME': folder,
        'RABBITMQ_NODENAME': 'rabbit@localhost',
        'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
        'RABBITMQ_NODE_PORT': str(amqp_port),
        'RABBITMQ_DIST_PORT': str(dist_port),
        'ERL_EPMD_ADDRESS': '127.0.0.1',
        'ERL_EPMD_PORT': str(epmd_port),
        'RABBITMQ_CONFIG_FILE': os.path.join(folder, 'rabbitmq.conf'),
        'RABBITMQ_MNESIA_BASE': os.path.join(folder, 'mnesia'),
        'RABBITMQ_LOG_BASE': os.path.join(folder, 'log'),
        'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(folder,
                                                      'enabled_plugins'),
        'RABBITMQ_PID_FILE': os.path.join(folder, 'rabbit.pid'),
        'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS':
            '-kernel inet_dist_use_interface {127,0,0,1}',
    }


def epmd(port):
    return [_find('epmd'), '-address', '127.0.0.1', '-port', str(port)]


def rabbitmq_server():
    return [os.path.join(RABBITMQ_BIN, 'rabbitmq-server')]


def rabbitmq_await_startup():
    return [os.path.join(RABBITMQ_BIN, 'rabbitmqctl'), 'await_startup',
            '--timeout', '120']


def _user():
    import getpass
    return getpass.getuser()
