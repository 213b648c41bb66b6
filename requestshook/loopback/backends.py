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

"""The stack's MariaDB and RabbitMQ: what to install, start and create.

MariaDB holds keystone's and glance's databases (SQLite cannot serve
concurrent clients: ``database is locked``) and the compute part's.
Without MariaDB the image part falls back to SQLite and says so; the
compute part needs both MariaDB and RabbitMQ.
"""

import subprocess
import time

from requestshook.loopback import configs
from requestshook.loopback import debian
from requestshook.loopback import progress

READY_TIMEOUT = 60.0
# The processes this module starts (stopped after the services).
NAMES = ('mariadb', 'epmd', 'rabbitmq')


def choose(stack, compute):
    """Install what is missing; decide MariaDB or SQLite.

    Returns the backends to start ('mariadb', 'rabbitmq').  Raises
    :class:`debian.Missing` when compute cannot be had.
    """
    log = stack.site.path('logs', 'apt.log')
    wanted = ['mariadb', 'rabbitmq'] if compute else ['mariadb']
    try:
        debian.ensure(wanted, log)
    except debian.Missing as missing:
        if compute:
            raise
        stack.site.mariadb = False
        progress.say('MariaDB cannot be had (%s): keystone and glance run '
                     'on SQLite, which answers concurrent clients with '
                     '"database is locked"' % missing)
        return []
    return wanted


def start_mariadb(stack, databases):
    """MariaDB on 127.0.0.1, its databases and the stack's user."""
    site = stack.site
    datadir = site.path('mariadb', 'data')
    configs.make_folder(datadir)
    progress.say('starting MariaDB on 127.0.0.1:%d (databases %s)'
                 % (site.ports['mariadb'], ', '.join(databases)))
    stack.run_step('mariadb-install-db', debian.mariadb_install_db(datadir))
    stack.start_child('mariadb', debian.mariadbd(
        datadir, site.ports['mariadb'], site.path('mariadb', 'socket')))
    port = site.ports['mariadb']
    child = stack.child('mariadb')
    deadline = time.monotonic() + READY_TIMEOUT
    while subprocess.call(debian.mariadb_client(port, 'SELECT 1'),
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL):
        stack.check_alive(child)
        if time.monotonic() > deadline:
            stack.fail_not_ready(child, 'SQL on port %d' % port)
        time.sleep(0.1)
    stack.run_step('mariadb-create', debian.mariadb_client(
        port, debian.create_databases_sql(
            databases, configs.DB_USER, site.passwords['mariadb'])))


def rabbitmq_env(site):
    return debian.rabbitmq_env(site.path('rabbitmq'), site.ports['rabbitmq'],
                               site.ports['epmd'],
                               site.ports['rabbitmq-dist'])


def start_rabbitmq(stack):
    """epmd and RabbitMQ on 127.0.0.1, ports of their own; not waited."""
    site = stack.site
    configs.write(site.path('rabbitmq', 'rabbitmq.conf'),
                  debian.rabbitmq_conf(site.ports['rabbitmq'],
                                       configs.RABBITMQ_USER,
                                       site.passwords['rabbitmq']))
    configs.write(site.path('rabbitmq', 'enabled_plugins'), '[].\n')
    env = rabbitmq_env(site)
    progress.say('starting RabbitMQ on 127.0.0.1:%d' % site.ports['rabbitmq'])
    stack.start_child('epmd', debian.epmd(site.ports['epmd']), **env)
    stack.start_child('rabbitmq', debian.rabbitmq_server(), **env)


def wait_rabbitmq(stack):
    progress.say('waiting for RabbitMQ')
    stack.run_step('rabbitmq-await-startup', debian.rabbitmq_await_startup(),
                   env=stack.env(**rabbitmq_env(stack.site)))
