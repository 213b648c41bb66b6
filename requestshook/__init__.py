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

"""requestshook: see every HTTP hop between OpenStack services."""


def enable(service_name=None, config_file=None, one_trace=False,
           hmac_key=None):
    """Install the outbound and RPC hooks in a process with no pipeline.

    For daemons (nova-compute, nova-scheduler) and clients (the
    ``openstack`` CLI).  ``one_trace`` makes all the calls this process
    makes outside an inbound call one flow; ``hmac_key`` signs the ids it
    sends: one key, or several (a list or comma-separated text), the first
    signing and each verifying the ids that arrive by RPC, so keys change
    without a flag day.  Safe to call more than once; returns the recorder
    used.
    """
    from requestshook.capture import outbound
    from requestshook.capture import rpc
    recorder = outbound.enable(service_name=service_name,
                               config_file=config_file, one_trace=one_trace,
                               hmac_key=hmac_key)
    rpc.install()
    return recorder
