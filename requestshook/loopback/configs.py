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

"""The configuration files of the loopback stack, all under one folder.

:class:`Site` names every path, port and secret; the ``*_conf``
functions return file contents; :func:`write_all` writes them.
"""

import fcntl
import getpass
import os
import secrets
import socket

SERVICE_PORTS = (
    ('keystone', 5000),
    ('glance-api', 9292),
    ('swift-proxy-server', 8080),
    ('swift-object-server', 6200),
    ('swift-container-server', 6201),
    ('swift-account-server', 6202),
    ('nova-api', 8774),
    ('placement-api', 8778),
    ('neutron-server', 9696),
    ('mariadb', 3306),
    ('rabbitmq', 5672),
    ('rabbitmq-dist', 25672),
    ('epmd', 4369),
)
# The names the log gives the services the CLI talks to (url_map).
MAPPED_SERVICES = ('keystone', 'glance-api', 'swift-proxy-server',
                   'nova-api', 'placement-api', 'neutron-server')
SECRETS = ('admin', 'glance', 'swift', 'nova', 'placement', 'neutron',
           'rabbitmq', 'mariadb')
# The one MariaDB user of the stack, owner of every database.
DB_USER = 'stack'
RABBITMQ_USER = 'stack'


def _port_is_free(port):
    with socket.socket() as probe:
        try:
            probe.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


# Usual ports a stack of this machine chose and has not bound yet: a
# stack starting meanwhile must not take them (lock files, held by the
# harness process until release_ports or its exit).
_claims = {}


def _claims_folder():
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.expanduser(
        '~/.cache')
    return os.path.join(cache, 'requestshook', 'ports')


def _claim(port):
    """Whether this process could claim ``port`` among concurrent stacks."""
    if port in _claims:
        return False
    os.makedirs(_claims_folder(), exist_ok=True)
    lock = open(os.path.join(_claims_folder(), '%d.lock' % port), 'w')
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return False
    _claims[port] = lock
    return True


def release_ports(ports):
    for port in ports.values():
        lock = _claims.pop(port, None)
        if lock is not None:
            lock.close()


def choose_ports():
    """The usual ports where free (pages read like devstack's), else any.

    A usual port is taken only when no other stack of this machine claimed
    it: between its choice and its service's bind a stack's bootstrap
    takes a minute.
    """
    ports = {}
    unused = {}
    for name, usual in SERVICE_PORTS:
        claimed = _claim(usual)
        if claimed and _port_is_free(usual):
            port = usual
        else:
            port = _free_port()
            if claimed:
                unused[name] = usual
        while port in ports.values():
            port = _free_port()
        ports[name] = port
    release_ports(unused)
    return ports


class Site(object):
    """Paths, ports and secrets of one loopback stack under ``root``."""

    def __init__(self, root, ports=None, passwords=None):
        self.root = root
        self.ports = ports or choose_ports()
        self.passwords = passwords or {
            name: secrets.token_urlsafe(18) for name in SECRETS}
        self.swift_hash = secrets.token_hex(8)
        self.user = getpass.getuser()
        # False: keystone and glance on SQLite (MariaDB could not be had).
        self.mariadb = True

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def url(self, service):
        return 'http://127.0.0.1:%d' % self.ports[service]

    @property
    def auth_url(self):
        return self.url('keystone') + '/v3'

    def database_url(self, name):
        """The SQLAlchemy URL of database ``name`` (MariaDB or SQLite)."""
        if not self.mariadb:
            return 'sqlite:///%s' % self.path(name + '.db')
        return ('mysql+pymysql://%s:%s@127.0.0.1:%d/%s?charset=utf8mb4'
                % (DB_USER, self.passwords['mariadb'],
                   self.ports['mariadb'], name))

    @property
    def transport_url(self):
        return 'rabbit://%s:%s@127.0.0.1:%d/' % (
            RABBITMQ_USER, self.passwords['rabbitmq'], self.ports['rabbitmq'])

    @property
    def requestshook_conf(self):
        return self.path('requestshook', 'requestshook.conf')

    @property
    def log_file(self):
        return self.path('requestshook', 'requestshook.log')

    @property
    def filters_file(self):
        return self.path('requestshook', 'should_not_hook.json')

    def swift_conf(self, server):
        return self.path('swift', '%s-server.conf' % server)

    @property
    def glance_paste(self):
        return self.path('glance', 'glance-api-paste.ini')


def requestshook_conf(site, enabled=True):
    url_map = ','.join('127.0.0.1:%d=%s' % (site.ports[name], name)
                       for name in MAPPED_SERVICES)
    return (
        '[DEFAULT]\n'
        'enabled = %s\n'
        'log_file = %s\n'
        'filters_file = %s\n'
        'url_map = %s\n' % ('true' if enabled else 'false', site.log_file,
                            site.filters_file, url_map))


def keystone_conf(site):
    keys = site.path('keystone', 'fernet-keys')
    return (
        '[DEFAULT]\n'
        'use_stderr = true\n'
        '[database]\n'
        'connection = %s\n'
        '[token]\n'
        'provider = fernet\n'
        '[fernet_tokens]\n'
        'key_repository = %s\n'
        '[fernet_receipts]\n'
        'key_repository = %s\n'
        '[credential]\n'
        'key_repository = %s\n'
        % (site.database_url('keystone'), keys, keys,
           site.path('keystone', 'credential-keys')))


def authtoken(site, user):
    return (
        'www_authenticate_uri = %(keystone)s\n'
        'auth_url = %(keystone)s\n'
        'auth_type = password\n'
        'username = %(user)s\n'
        'password = %(password)s\n'
        'project_name = service\n'
        'user_domain_name = Default\n'
        'project_domain_name = Default\n'
        % {'keystone': site.url('keystone'), 'user': user,
           'password': site.passwords[user]})


def glance_api_conf(site):
    return (
        '[DEFAULT]\n'
        'use_stderr = true\n'
        'enabled_backends = fs:file, swift:swift\n'
        # No web-download: the stack has no way out to the internet.
        # A bracketed list: glance's option has bounds=True.
        'enabled_import_methods = [glance-direct, copy-image]\n'
        '[database]\n'
        'connection = %(db)s\n'
        '[glance_store]\n'
        'default_backend = swift\n'
        '[fs]\n'
        'filesystem_store_datadir = %(images)s\n'
        '[swift]\n'
        'swift_store_config_file = %(swift_refs)s\n'
        'default_swift_reference = ref1\n'
        'swift_store_container = glance\n'
        'swift_store_create_container_on_put = true\n'
        '[os_glance_staging_store]\n'
        'filesystem_store_datadir = %(staging)s\n'
        '[os_glance_tasks_store]\n'
        'filesystem_store_datadir = %(tasks)s\n'
        '[keystone_authtoken]\n'
        '%(authtoken)s'
        '[paste_deploy]\n'
        'flavor = keystone\n'
        'config_file = %(paste)s\n'
        '[oslo_concurrency]\n'
        'lock_path = %(locks)s\n'
        % {'db': site.database_url('glance'),
           'images': site.path('glance', 'images'),
           'swift_refs': site.path('glance', 'glance-swift.conf'),
           'staging': site.path('glance', 'staging'),
           'tasks': site.path('glance', 'tasks'),
           'authtoken': authtoken(site, 'glance'),
           'paste': site.glance_paste,
           'locks': site.path('glance', 'locks')})


def glance_swift_conf(site):
    return (
        '[ref1]\n'
        'user = service:glance\n'
        'key = %s\n'
        'user_domain_id = default\n'
        'project_domain_id = default\n'
        'auth_version = 3\n'
        'auth_address = %s\n' % (site.passwords['glance'], site.auth_url))


def swift_conf(site):
    return (
        '[swift-hash]\n'
        'swift_hash_path_suffix = %s\n'
        'swift_hash_path_prefix = %s\n'
        '[storage-policy:0]\n'
        'name = Policy-0\n'
        'default = yes\n' % (site.swift_hash, site.swift_hash[::-1]))


def _swift_default(site, service):
    return (
        '[DEFAULT]\n'
        'bind_ip = 127.0.0.1\n'
        'bind_port = %d\n'
        'devices = %s\n'
        'mount_check = false\n'
        'swift_dir = %s\n'
        'workers = 0\n'
        'user = %s\n'
        'log_name = %s\n'
        % (site.ports[service], site.path('swift', 'devices'),
           site.path('swift'), site.user, service))


# devstack's order; bulk, tempurl, staticweb and the quotas are what
# Tempest's object-storage tests expect of a cloud.
PROXY_PIPELINE = ('catch_errors gatekeeper healthcheck proxy-logging '
                  'listing_formats bulk tempurl crossdomain formpost '
                  'authtoken keystoneauth staticweb copy container-quotas '
                  'account-quotas dlo slo versioned_writes proxy-logging '
                  'proxy-server')


def proxy_server_conf(site):
    filters = ''.join(
        '[filter:%s]\nuse = egg:swift#%s\n' % (name, egg)
        for name, egg in (('catch_errors', 'catch_errors'),
                          ('gatekeeper', 'gatekeeper'),
                          ('healthcheck', 'healthcheck'),
                          ('proxy-logging', 'proxy_logging'),
                          ('listing_formats', 'listing_formats'),
                          ('copy', 'copy'), ('dlo', 'dlo'), ('slo', 'slo'),
                          ('crossdomain', 'crossdomain'),
                          ('formpost', 'formpost'),
                          ('tempurl', 'tempurl'), ('staticweb', 'staticweb'),
                          ('container-quotas', 'container_quotas'),
                          ('account-quotas', 'account_quotas'),
                          ('bulk', 'bulk')))
    return (
        _swift_default(site, 'swift-proxy-server') +
        '[pipeline:main]\n'
        'pipeline = %s\n'
        '[app:proxy-server]\n'
        'use = egg:swift#proxy\n'
        'account_autocreate = true\n'
        '[filter:authtoken]\n'
        'paste.filter_factory = keystonemiddleware.auth_token:'
        'filter_factory\n'
        # Anonymous reads of public containers reach keystoneauth.
        'delay_auth_decision = true\n'
        '%s'
        '[filter:versioned_writes]\n'
        'use = egg:swift#versioned_writes\n'
        'allow_versioned_writes = true\n'
        '[filter:keystoneauth]\n'
        'use = egg:swift#keystoneauth\n'
        'operator_roles = admin, member\n'
        'reseller_admin_role = ResellerAdmin\n'
        % (PROXY_PIPELINE, authtoken(site, 'swift')) + filters)


def storage_server_conf(site, kind):
    """account-, container- or object-server.conf."""
    sections = {'account': ('replicator', 'auditor', 'reaper'),
                'container': ('replicator', 'updater', 'auditor', 'sync'),
                'object': ('replicator', 'updater', 'auditor')}[kind]
    return (
        _swift_default(site, 'swift-%s-server' % kind) +
        '[pipeline:main]\n'
        'pipeline = %s-server\n'
        '[app:%s-server]\n'
        'use = egg:swift#%s\n' % (kind, kind, kind) +
        ''.join('[%s-%s]\n' % (kind, section) for section in sections))


def make_folder(path):
    os.makedirs(path, mode=0o750, exist_ok=True)


def write(path, text):
    make_folder(os.path.dirname(path))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, 'w') as conf:
        conf.write(text)


def write_all(site, shipped_glance_paste, capture_enabled):
    """Every file but the rings and the keys (made by the services' tools).

    The glance paste file is the one glance ships, copied unchanged:
    requestshook's own tool inserts the filter (see the stack module).
    """
    for folder in (('keystone',), ('glance', 'images'), ('glance', 'staging'),
                   ('glance', 'tasks'), ('glance', 'locks'),
                   ('swift', 'devices', 'd1'), ('logs',),
                   ('requestshook',)):
        os.makedirs(site.path(*folder), mode=0o750, exist_ok=True)
    write(site.requestshook_conf, requestshook_conf(site, capture_enabled))
    write(site.path('keystone', 'keystone.conf'), keystone_conf(site))
    write(site.path('glance', 'glance-api.conf'), glance_api_conf(site))
    write(site.path('glance', 'glance-swift.conf'), glance_swift_conf(site))
    with open(shipped_glance_paste) as shipped:
        write(site.glance_paste, shipped.read())
    write(site.path('swift', 'swift.conf'), swift_conf(site))
    write(site.swift_conf('proxy'), proxy_server_conf(site))
    for kind in ('account', 'container', 'object'):
        write(site.swift_conf(kind), storage_server_conf(site, kind))
