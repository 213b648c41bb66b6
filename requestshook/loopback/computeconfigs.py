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

"""The configuration files of the compute part: nova, placement, neutron.

Paths, ports and secrets come from :class:`.configs.Site`; every service
uses the stack's MariaDB and RabbitMQ.
"""

from requestshook.loopback import configs

# The one compute host: its name is in the RPC topic (compute.<host>).
HOST = 'loopback'
NOVA_DATABASES = ('nova_api', 'nova_cell0', 'nova')
DATABASES = NOVA_DATABASES + ('placement', 'neutron')


def nova_paste(site):
    return site.path('nova', 'api-paste.ini')


def neutron_paste(site):
    return site.path('neutron', 'api-paste.ini')


def _auth_section(site, user):
    """A keystoneauth password section for ``user`` in project service."""
    return (
        'auth_type = password\n'
        'auth_url = %s\n'
        'username = %s\n'
        'password = %s\n'
        'project_name = service\n'
        'user_domain_name = Default\n'
        'project_domain_name = Default\n'
        'region_name = RegionOne\n'
        % (site.auth_url, user, site.passwords[user]))


def nova_conf(site):
    """Shared by nova-api, -conductor, -scheduler and -compute.

    The databases are in :func:`nova_db_conf`: nova-compute must not see
    them (``No DB access allowed in nova-compute``).
    """
    return (
        '[DEFAULT]\n'
        'use_stderr = true\n'
        'transport_url = %(transport)s\n'
        'compute_driver = fake.SmallFakeDriver\n'
        'host = %(host)s\n'
        'my_ip = 127.0.0.1\n'
        'state_path = %(state)s\n'
        'instances_path = %(instances)s\n'
        'graceful_shutdown_timeout = 2\n'
        '[oslo_concurrency]\n'
        'lock_path = %(locks)s\n'
        '[api]\n'
        'auth_strategy = keystone\n'
        '[wsgi]\n'
        'api_paste_config = %(paste)s\n'
        '[conductor]\n'
        'workers = 1\n'
        '[scheduler]\n'
        'workers = 1\n'
        '[vnc]\n'
        'enabled = false\n'
        '[keystone_authtoken]\n'
        '%(authtoken)s'
        '[placement]\n'
        '%(placement)s'
        '[neutron]\n'
        '%(neutron)s'
        '[glance]\n'
        'region_name = RegionOne\n'
        % {'transport': site.transport_url, 'host': HOST,
           'state': site.path('nova', 'state'),
           'instances': site.path('nova', 'instances'),
           'locks': site.path('nova', 'locks'),
           'paste': nova_paste(site),
           'authtoken': configs.authtoken(site, 'nova'),
           'placement': _auth_section(site, 'nova'),
           'neutron': _auth_section(site, 'nova')})


def nova_db_conf(site):
    return ('[api_database]\n'
            'connection = %s\n'
            '[database]\n'
            'connection = %s\n'
            % (site.database_url('nova_api'), site.database_url('nova')))


def placement_conf(site):
    return (
        '[DEFAULT]\n'
        'use_stderr = true\n'
        '[placement_database]\n'
        'connection = %s\n'
        'sync_on_startup = true\n'
        '[api]\n'
        'auth_strategy = keystone\n'
        '[keystone_authtoken]\n'
        '%s'
        % (site.database_url('placement'),
           configs.authtoken(site, 'placement')))


def neutron_conf(site):
    """ML2 with no mechanism driver: networks and ports, no agent."""
    return (
        '[DEFAULT]\n'
        'use_stderr = true\n'
        'core_plugin = ml2\n'
        # get_ports needs Port.port_forwardings, which only the
        # port_forwarding plugin's model defines (neutron 29).
        'service_plugins = router, port_forwarding\n'
        'auth_strategy = keystone\n'
        'transport_url = %(transport)s\n'
        'host = %(host)s\n'
        'state_path = %(state)s\n'
        'api_paste_config = %(paste)s\n'
        'notify_nova_on_port_status_changes = false\n'
        'notify_nova_on_port_data_changes = false\n'
        '[database]\n'
        'connection = %(db)s\n'
        '[keystone_authtoken]\n'
        '%(authtoken)s'
        '[nova]\n'
        '%(nova)s'
        '[oslo_concurrency]\n'
        'lock_path = %(locks)s\n'
        % {'transport': site.transport_url, 'host': HOST,
           'state': site.path('neutron', 'state'),
           'paste': neutron_paste(site),
           'db': site.database_url('neutron'),
           'authtoken': configs.authtoken(site, 'neutron'),
           'nova': _auth_section(site, 'neutron'),
           'locks': site.path('neutron', 'locks')})


def ml2_conf():
    return ('[ml2]\n'
            'type_drivers = flat\n'
            'tenant_network_types =\n'
            'mechanism_drivers =\n'
            'extension_drivers =\n'
            '[ml2_type_flat]\n'
            'flat_networks = *\n')


def write_all(site, shipped_nova_paste, shipped_neutron_paste):
    """Every compute file; the paste files are copied as shipped."""
    for folder in (('nova', 'state'), ('nova', 'instances'),
                   ('nova', 'locks'), ('placement',), ('neutron', 'state'),
                   ('neutron', 'locks')):
        configs.make_folder(site.path(*folder))
    configs.write(site.path('nova', 'nova.conf'), nova_conf(site))
    configs.write(site.path('nova', 'nova-db.conf'), nova_db_conf(site))
    configs.write(site.path('placement', 'placement.conf'),
                  placement_conf(site))
    configs.write(site.path('neutron', 'neutron.conf'), neutron_conf(site))
    configs.write(site.path('neutron', 'ml2_conf.ini'), ml2_conf())
    for shipped, copy in ((shipped_nova_paste, nova_paste(site)),
                          (shipped_neutron_paste, neutron_paste(site))):
        with open(shipped) as original:
            configs.write(copy, original.read())
