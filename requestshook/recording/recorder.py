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

"""The capture core every hook uses: settings, filters, redaction, log.

The paste filter and the outbound hook each hold a :class:`Recorder` (from
:func:`get_recorder`) and ask it, per call, whether recording is on
(:meth:`Recorder.enabled`), whether this call is filtered out
(:meth:`Recorder.should_record`), what the callee of a URL is called
(:meth:`Recorder.callee_for_url`), and hand it events
(:meth:`Recorder.emit`), which are redacted and appended to the shared
log.

The configuration file and the filters file are looked at (``stat``) at
most once a second and reloaded only when they changed; a broken file is
reported once and the last good settings or filters stay in force.  A
call that comes while another thread reloads waits for the new settings
(:data:`RELOAD_WAIT` at most), so none is recorded after a switch off.  A
configuration file that was named (paste option ``config_file``,
``$REQUESTSHOOK_CONFIG``) or read once must be there and be good: while it
is missing or broken with no good settings to keep, nothing is recorded.
Nothing is read or parsed per request, and nothing here ever raises into
the service.
"""

import dataclasses
import os
import threading
import time

from requestshook.recording import filters as filters_module
from requestshook.recording import redact
from requestshook.recording import report
from requestshook.recording import servicemap
from requestshook.recording import settings as settings_module
from requestshook.recording import sinks as sinks_module
from requestshook.recording.sinks import base as sink_base
from requestshook.recording.sinks import file as file_sink

CHECK_INTERVAL = 1.0
# How long a call waits for another thread's reload, at most (seconds).
RELOAD_WAIT = 0.5


class _State(object):
    """What one settings snapshot builds; replaced whole, never changed."""

    __slots__ = ('settings', 'filters', 'service_map', 'redactor', 'log',
                 'sinks')

    def __init__(self, settings, filters, service_map, redactor, log,
                 sinks=None):
        self.settings = settings
        self.filters = filters
        self.service_map = service_map
        self.redactor = redactor
        self.log = log
        # The network sinks: their spec (see sinks.network_specs) -> sink.
        self.sinks = sinks or {}


class Recorder(object):
    """Settings, filters, URL map, redaction and the shared log."""

    def __init__(self, config_file=None, overrides=None, reporter=None,
                 clock=time.monotonic, check_interval=CHECK_INTERVAL,
                 required=False):
        self.config_file = (config_file
                            or settings_module.default_config_file())
        # The file must be there once named (``required``) or read once.
        self._must_exist = required
        self._good = None       # the last settings read from a good file
        self.overrides = dict(overrides or {})
        self._reporter = reporter or report.Reporter()
        self._clock = clock
        self._check_interval = check_interval
        self._lock = threading.RLock()
        self._reloading = False
        self._pid = os.getpid()
        self._sinks_closed = False
        # The log of the last event written while recording was on.
        self._recording_log = None
        self._config_signature = None
        self._filters_path = None
        self._filters_signature = None
        self._state = _State(None, filters_module.Filters(), None, None,
                             None)
        try:
            self._reload(force=True)
        except Exception as exc:
            self._report_internal('loading the configuration', exc)
        if self._state.settings is None:
            self._state = self._build(settings_module.Settings(),
                                      self._state.filters, self._state)
        self._next_check = self._clock() + self._check_interval

    # -- configuration -------------------------------------------------

    @property
    def settings(self):
        """The current :class:`requestshook.recording.settings.Settings`."""
        return self._current().settings

    def _current(self):
        now = self._clock()
        if now >= self._next_check or self._reloading:
            self._refresh(now)
        return self._state

    def _refresh(self, now):
        if self._pid != os.getpid():
            self._lock = threading.RLock()
            self._reloading = False
            self._reporter.after_fork()
            self._pid = os.getpid()
        # A thread that comes while another reloads waits for what it
        # reads (a call must not be recorded on the settings of before a
        # switch), a while at most; the reloading thread itself, should
        # the reload call back here, goes on with what it has.
        if not self._lock.acquire(timeout=RELOAD_WAIT):
            return
        try:
            if now < self._next_check:
                return
            self._next_check = now + self._check_interval
            self._reloading = True
            try:
                self._reload()
            finally:
                self._reloading = False
        except Exception as exc:
            self._reporter.failed(
                'reload', type(exc).__name__,
                'requestshook could not reload its configuration (%s: %s);'
                ' the current settings stay.', type(exc).__name__, exc)
        finally:
            self._lock.release()

    def _reload(self, force=False):
        old = self._state
        settings = old.settings
        signature = settings_module.file_signature(self.config_file)
        if force or signature != self._config_signature:
            self._config_signature = signature
            settings = self._load_settings()
        filters = self._load_filters(settings.filters_file, old.filters,
                                     force)
        if not force and settings is old.settings and \
                filters is old.filters:
            return
        self._state = self._build(settings, filters, old)

    def _load_settings(self):
        try:
            settings = settings_module.load(
                self.config_file, self.overrides, self._bad_override,
                required=self._must_exist)
        except settings_module.SettingsError as exc:
            return self._unusable_settings(exc)
        if settings.config_file is not None:
            self._must_exist = True
            self._good = settings
        self._reporter.resolved(
            'config', 'requestshook reloaded its configuration file %s.',
            self.config_file)
        return settings

    def _unusable_settings(self, exc):
        if isinstance(exc, settings_module.ConfigMissing):
            self._good = None   # gone: only a good file brings it back
        elif self._good is not None:
            self._reporter.failed(
                'config', str(exc),
                'requestshook cannot use its configuration file %s: %s. '
                'It keeps its last good settings.', self.config_file, exc)
            return self._good
        self._reporter.failed(
            'config', str(exc),
            'requestshook cannot read its configuration file %s: %s. It '
            'records nothing until it reads a good one.', self.config_file,
            exc)
        # Fail closed, never the defaults: the file may have said "off"
        # or named a private log.
        closed = settings_module.load(None, self.overrides)
        return dataclasses.replace(closed, enabled=False)

    def _bad_override(self, name, value, error):
        self._reporter.failed(
            'override', name,
            'requestshook ignores its option %s = %r: %s', name, value,
            error)

    def _load_filters(self, path, last_good, force):
        signature = settings_module.file_signature(path)
        if not force and path == self._filters_path and \
                signature == self._filters_signature:
            return last_good
        self._filters_path = path
        self._filters_signature = signature
        if signature is None:
            return filters_module.Filters()
        try:
            filters = filters_module.load(path)
        except (OSError, ValueError) as exc:
            self._reporter.failed(
                'filters', (path, str(exc)),
                'requestshook cannot use its filters file %s: %s. The '
                'last good filters stay in force.', path, exc)
            return last_good
        self._reporter.resolved(
            'filters', 'requestshook reloaded its filters file %s.', path)
        return filters

    def _build(self, settings, filters, old):
        try:
            service_map = servicemap.ServiceMap(settings.url_map)
        except ValueError:      # load() validated it; keep the old map
            service_map = old.service_map or servicemap.ServiceMap()
        redactor = redact.for_settings(settings)
        log = old.log
        if not sinks_module.wants_file(settings):
            log = None
        elif log is None or log.path != settings.log_file or \
                log.log_group != settings.log_group:
            log = file_sink.FileSink(settings.log_file, settings.log_group,
                                     reporter=self._reporter,
                                     clock=self._clock)
        if old.log is not None and old.log is not log:
            old.log.close()
        return _State(settings, filters, service_map, redactor, log,
                      self._build_sinks(settings, old.sinks))

    def _build_sinks(self, settings, old_sinks):
        if self._sinks_closed:
            return {}
        kept = dict(old_sinks)
        built = {}
        for spec in sinks_module.network_specs(settings, self._bad_sink):
            sink = kept.pop(spec, None)
            if sink is None:
                try:
                    sink = sinks_module.acquire(spec, self._reporter)
                except (ValueError, sink_base.MissingDependency) as exc:
                    self._bad_sink(spec[1], exc)
                    continue
            built[spec] = sink
        for sink in kept.values():
            sinks_module.release(sink, wait=False)
        return built

    def _bad_sink(self, name, error):
        self._reporter.failed(
            'sinks', (name, str(error)),
            'requestshook cannot use its sink %s: %s; the other sinks '
            'still get every event.', name, error)

    # -- per call -------------------------------------------------------

    def enabled(self):
        """True when recording is on."""
        return self._current().settings.enabled

    @property
    def service_name(self):
        """The configured service name, or None (derive it then)."""
        return self._current().settings.service_name

    @property
    def max_body_bytes(self):
        """Bytes kept of each body."""
        return self._current().settings.max_body_bytes

    @property
    def emit_traceparent(self):
        """True when outbound calls also carry a W3C traceparent."""
        return self._current().settings.emit_traceparent

    def should_record(self, caller, callee, method, path, root=False):
        """False when a should_not_hook filter drops this call.

        ``root``: the call has no parent (it starts a flow).
        """
        try:
            return not self._current().filters.drops(caller, callee,
                                                     method, path, root)
        except Exception as exc:
            self._report_internal('filter', exc)
            return True

    def callee_for_url(self, url):
        """The service a URL belongs to (url_map), else ``host:port``."""
        try:
            return self._current().service_map.lookup(url)
        except Exception as exc:
            self._report_internal('url_map', exc)
            return 'unknown'

    def emit(self, event, closing=False):
        """Redact ``event`` and append it to the shared log.

        The given dict is not changed.  Dropped when recording is
        disabled, unless ``closing``: the closing event of a call whose
        opening event was kept is written even when recording was
        switched off meanwhile (a call that started recording finishes
        recording), to the log that was recording; never to one only
        failing closed points to.  Returns False when dropped.  Never
        raises.
        """
        try:
            state = self._current()
            if state.settings.enabled:
                self._recording_log = state.log
            elif not closing or state.log is not self._recording_log:
                return False
            line = state.redactor.encode(event)
            if state.sinks:
                for sink in state.sinks.values():
                    sink.write(line)
            log = state.log
            if log is None:
                return
            # A failed write is retried only on a log that replaced this
            # one meanwhile (log_file changed; the old log got closed).
            while not log.write(line) and self._state.log is not log:
                log = self._state.log
        except Exception as exc:
            self._report_internal('emit', exc)

    def close(self):
        """Close the log, flush and close the network sinks.

        For tests and shutdown; a later emit reopens nothing.
        """
        log = self._state.log
        if log is not None:
            log.close()
        state = self._state
        self._sinks_closed = True
        self._state = _State(state.settings, state.filters,
                             state.service_map, state.redactor, state.log)
        for sink in state.sinks.values():
            sinks_module.release(sink)

    def _report_internal(self, what, exc):
        self._reporter.failed(
            what, type(exc).__name__,
            'requestshook failed in %s (%s: %s); the call goes on '
            'unrecorded.', what, type(exc).__name__, exc)


_recorders = {}
_recorders_lock = threading.Lock()
# One per process, so two pipelines sharing a broken log report it once.
_reporter = report.Reporter()


def _reset_lock_after_fork():
    global _recorders_lock
    _recorders_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_lock_after_fork)


def get_recorder(config_file=None, overrides=None):
    """The process's :class:`Recorder` for this file and these overrides.

    ``config_file`` None means ``$REQUESTSHOOK_CONFIG``, else
    ``/etc/requestshook/requestshook.conf``.  A missing file means the
    defaults only for that last one: a named file (``config_file`` or the
    variable) that is missing or broken means recording nothing.
    ``overrides`` (option name -> string, e.g. a paste filter's local
    conf) win over the file.
    """
    named = config_file or settings_module.named_config_file()
    path = named or settings_module.default_config_file()
    key = (path, bool(named),
           tuple(sorted((str(name), repr(value))
                        for name, value in (overrides or {}).items())))
    recorder = _recorders.get(key)
    if recorder is not None:
        return recorder
    with _recorders_lock:
        recorder = _recorders.get(key)
        if recorder is None:
            recorder = Recorder(path, overrides, reporter=_reporter,
                                required=bool(named))
            _recorders[key] = recorder
    return recorder


def clear_recorders():
    """Forget (and close) every recorder; for tests."""
    global _reporter
    with _recorders_lock:
        recorders = list(_recorders.values())
        _recorders.clear()
        _reporter = report.Reporter()
    for recorder in recorders:
        recorder.close()
