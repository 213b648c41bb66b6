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

"""The image part of the stack: keystone, glance-api and swift.

Set-up commands, services and catalog entries; :mod:`.stack` runs them
beside the compute part's (:mod:`.compute`).
"""

import grp
import os


def paste_files(site):
    """(paste file, service name) the filter goes into."""
    return [(site.glance_paste, 'glance-api'),
            (site.swift_conf('proxy'), 'swift-proxy-server')]


def bootstrap_chains(stack):
    """Chains of set-up commands: the chains at once, each in order."""
    site = stack.site
    keystone_conf = site.path('keystone', 'keystone.conf')
    manage = [stack.venv.bin('keystone-manage'), '--config-file',
              keystone_conf]
    owner = ['--keystone-user', site.user, '--keystone-group',
             grp.getgrgid(os.getgid()).gr_name]
    identity = site.auth_url
    bootstrap = manage + [
        'bootstrap', '--bootstrap-region-id', 'RegionOne',
        '--bootstrap-admin-url', identity,
        '--bootstrap-internal-url', identity,
        '--bootstrap-public-url', identity]
    chains = [
        [('keystone-db-sync', manage + ['db_sync']),
         ('keystone-bootstrap', bootstrap, {'env': stack.env(
             OS_BOOTSTRAP_PASSWORD=site.passwords['admin'])})],
        [('keystone-fernet-setup', manage + ['fernet_setup'] + owner)],
        [('keystone-credential-setup',
          manage + ['credential_setup'] + owner)],
        [('glance-db-sync', [stack.venv.bin('glance-manage'),
                             '--config-file',
                             site.path('glance', 'glance-api.conf'),
                             'db_sync']),
         ('glance-load-metadefs', [
             stack.venv.bin('glance-manage'), '--config-file',
             site.path('glance', 'glance-api.conf'),
             'db_load_metadefs', stack.venv.shipped('glance', 'metadefs')])],
    ]
    ports = {'account': 'swift-account-server',
             'container': 'swift-container-server',
             'object': 'swift-object-server'}
    for kind, service in sorted(ports.items()):
        builder = [stack.venv.bin('swift-ring-builder'),
                   site.path('swift', kind + '.builder')]
        device = 'r1z1-127.0.0.1:%d/d1' % site.ports[service]
        cwd = {'cwd': site.path('swift')}
        # rebalance exits 1 for a mere warning.
        chains.append([
            ('ring-%s-create' % kind, builder + ['create', '10', '1',
                                                 '1'], cwd),
            ('ring-%s-add' % kind, builder + ['add', device, '1'], cwd),
            ('ring-%s-rebalance' % kind, builder + ['rebalance'],
             dict(cwd, ok=(0, 1)))])
    return chains


def start_services(stack):
    """keystone, the swift servers and glance-api; not waited."""
    site = stack.site
    stack.start_child(
        'keystone',
        stack.gunicorn('keystone', 'requestshook.wsgi:application'),
        site.url('keystone') + '/v3',
        REQUESTSHOOK_WSGI_APP='keystone.wsgi.api:application',
        REQUESTSHOOK_SERVICE_NAME='keystone',
        OS_KEYSTONE_CONFIG_DIR=site.path('keystone'))
    for kind in ('account', 'container', 'object'):
        name = 'swift-%s-server' % kind
        stack.start_child(
            name, [stack.venv.bin(name), site.swift_conf(kind), '-v'],
            site.url(name) + '/recon/version')
    stack.start_child(
        'swift-proxy-server',
        [stack.venv.bin('swift-proxy-server'), site.swift_conf('proxy'),
         '-v'],
        site.url('swift-proxy-server') + '/healthcheck')
    stack.start_child(
        'glance-api', stack.gunicorn('glance-api',
                                     'glance.wsgi.api:application'),
        site.url('glance-api') + '/healthcheck',
        OS_GLANCE_CONFIG_DIR=site.path('glance'))


def catalog_commands(site):
    """Projects service and demo, users glance and swift, endpoints."""
    commands = [
        'project create --domain default service',
        'project create --domain default demo',
        # swift's reseller admin, as Tempest expects it.
        'role create ResellerAdmin',
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
