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


"""The outbound hook: record each call python-requests sends.

:func:`install` wraps ``requests.adapters.HTTPAdapter.send`` with wrapt
when (or as soon as) ``requests.adapters`` is imported; no file in
site-packages is touched.  The paste filter installs it when it loads;
processes without a pipeline call :func:`enable` (or
``requestshook.enable``).

Per call, when recording is enabled, the hook (:func:`_send`) makes an
:class:`~requestshook.capture.outbound_call.OutboundCall`: it gives the
call a new hop id, takes trace and parent from the inbound hop being
served (see :mod:`requestshook.capture.context`), sets the four
``X-Requestshook-*`` headers on the outgoing request, and writes
``client`` events: ``request`` before sending, ``response`` when the user
has read the body to its end or closed the response (at the latest when
it is garbage collected; see :mod:`requestshook.capture.outbound_response`),
``error`` when sending raised.  The body is observed as the user reads it,
never read or buffered by the hook.  The headers are set even on a call
the filters drop, so the callee still continues the trace.

What the process gave (recorder, service name, keys) is kept in
:mod:`requestshook.capture.hookstate`, which the RPC hook reads too.
"""

import wrapt

from requestshook.capture import hookstate
from requestshook.capture import outbound_call
from requestshook.capture import outbound_response
from requestshook.capture import trust

_settings = hookstate._settings
_internal_failure = hookstate._internal_failure
# Public path: the paste filter and the RPC hook write through outbound.emit.
emit = hookstate.emit
OutboundCall = outbound_call.OutboundCall


def _set_keys(hmac_key):
    # One key, or several (a list or comma-separated text): the first
    # signs, each verifies (keys change without a flag day).
    keys = tuple(trust.parse_keys(hmac_key))
    if keys:
        _settings.hmac_key, _settings.hmac_keys = keys[0], keys


def install(recorder=None, service_name=None, hmac_key=None):
    """Install the hook once per process; safe to call again.

    ``recorder``, ``service_name`` and ``hmac_key`` (one key or several,
    see :func:`enable`) are kept unless the process already gave some
    (the first paste filter or an explicit :func:`enable`).
    """
    with _settings.lock:
        if recorder is not None and _settings.recorder is None:
            _settings.recorder = recorder
        if service_name and not _settings.service_name:
            _settings.service_name = service_name
        if hmac_key and not _settings.hmac_key:
            _set_keys(hmac_key)
        if _settings.installed:
            return
        _settings.installed = True
    wrapt.register_post_import_hook(_patch_adapters, 'requests.adapters')


def enable(service_name=None, config_file=None, one_trace=False,
           overrides=None, hmac_key=None):
    """Record the calls this process makes with python-requests.

    For processes with no paste pipeline: daemons (``nova-compute``) and
    clients (the ``openstack`` CLI).  ``one_trace`` makes every call made
    outside an inbound call part of one flow for this process's lifetime.
    ``hmac_key`` signs the ids sent (see :mod:`requestshook.capture.trust`):
    one key, or several (a list or comma-separated text) of which the
    first signs and each verifies the ids that arrive by RPC.  Returns the
    recorder used.
    """
    from requestshook.recording import recorder as recorder_module
    recorder = recorder_module.get_recorder(config_file=config_file,
                                            overrides=overrides)
    with _settings.lock:
        _settings.recorder = recorder
        if service_name:
            _settings.service_name = service_name
        _settings.one_trace = bool(one_trace)
        if hmac_key:
            _set_keys(hmac_key)
    install()
    return recorder


def _is_ours(function):
    while function is not None:
        if getattr(function, '_self_wrapper', None) is _send:
            return True
        function = getattr(function, '__wrapped__', None)
    return False


def _patch_adapters(module):
    # Another tool may have wrapped send with wrapt too: wrap it again,
    # unless one of the layers is ours.
    if _is_ours(module.HTTPAdapter.__dict__.get('send')):
        return
    try:
        import requests.structures
        import urllib3.response     # HTTPHeaderDict there in 1.x and 2.x
        outbound_response.know_header_types(
            requests.structures.CaseInsensitiveDict,
            urllib3.response.HTTPHeaderDict)
    except Exception as exc:
        _internal_failure('header types', exc)
    wrapt.wrap_function_wrapper(module, 'HTTPAdapter.send', _send)


def _send(wrapped, instance, args, kwargs):
    recorder = _settings.recorder
    try:
        enabled = recorder is not None and recorder.enabled()
    except Exception:
        enabled = False
    if not enabled:
        return wrapped(*args, **kwargs)
    try:
        request = args[0] if args else kwargs['request']
        call = OutboundCall(recorder, request)
    except Exception as exc:
        _internal_failure('request', exc)
        return wrapped(*args, **kwargs)
    try:
        response = wrapped(*args, **kwargs)
    except BaseException as exc:
        call.failed(exc)
        raise
    finally:
        call.restore_body()
    call.observe(response)
    return response
