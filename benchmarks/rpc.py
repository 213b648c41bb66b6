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

"""Benchmark 6: what the RPC hook adds per call and per cast.

oslo.messaging's in-process fake driver (``fake://``): an RPC server
(threading executor) and its client in one process; each call or cast
carries a 2 KiB JSON argument and a nova-like context, and a call returns
the argument.  Each variant runs in its own child process, because a hook
patches oslo.messaging for the whole process; the children live for the
whole benchmark and take turns, a batch each, ``--rpc-rounds`` times:

``none``
    plain oslo.messaging;
``rh-off``
    requestshook's hooks installed, ``enabled = false``;
``rh-on``
    requestshook's hooks installed and enabled, writing to a real file
    (a call: 4 events, client and server request and response; a cast: 3);
``otel``
    oslo.messaging's own OpenTelemetry tracing (``[oslo_messaging_tracing]
    tracing_enabled``; a producer and a consumer span per message) with the
    SDK and benchmark 1's console exporter writing JSON to a file.

osprofiler is not a peer here: it has no oslo.messaging hook of its own
(nova carries its trace info in a context serializer and traces classes
with ``trace_cls``), so there is nothing generic to measure.

The fake driver's listener sleeps up to 50 ms between polls; the
benchmark replaces the ``time`` its module sees with one whose ``sleep``
wakes when a message is delivered, so the wall times are not the poll
interval.  A batch of casts is timed until the server has run the last
one.  Figures per message: wall time and the process's CPU time (client
and server are both in it); the cost added is the median over batches of
(variant - none) in the same round.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import apps
import harness
import wrappers

SECTION = '6 rpc'
VARIANTS = ('none', 'rh-off', 'rh-on', 'otel')
SERVICE = 'bench-conductor'
KINDS = ('call', 'cast')


def add_arguments(parser):
    group = parser.add_argument_group('rpc (6)')
    group.add_argument('--rpc-messages', type=int, default=300,
                       help='calls (and casts) per batch')
    group.add_argument('--rpc-rounds', type=int, default=15,
                       help='batches per variant and kind')


def write_config(path, log_path, enabled):
    with open(path, 'w') as config:
        config.write('[DEFAULT]\nenabled = %s\nservice_name = %s\n'
                     'log_file = %s\nfilters_file = %s\n'
                     % ('true' if enabled else 'false', SERVICE, log_path,
                        path + '.filters.json'))
    return path


def _wake_fake_driver():
    """Make the fake listener's idle sleep end when a message arrives."""
    from oslo_messaging._drivers import impl_fake
    arrived = threading.Semaphore(0)
    deliver = impl_fake.FakeExchange.deliver_message

    def deliver_and_wake(self, *args, **kwargs):
        result = deliver(self, *args, **kwargs)
        arrived.release()
        return result

    class WakeableTime(object):
        time = staticmethod(time.time)

        @staticmethod
        def sleep(seconds):
            arrived.acquire(timeout=seconds)

    impl_fake.FakeExchange.deliver_message = deliver_and_wake
    impl_fake.time = WakeableTime()


def _instrument(variant, config_file, log_path):
    from oslo_config import cfg
    if variant in ('rh-off', 'rh-on'):
        import requestshook
        requestshook.enable(service_name=SERVICE, config_file=config_file)
    elif variant == 'otel':
        import oslo_messaging  # noqa: F401 (registers its tracing options)
        from opentelemetry import trace
        trace.set_tracer_provider(wrappers.otel_tracer_provider(log_path))
        cfg.CONF.set_override('tracing_enabled', True,
                              group='oslo_messaging_tracing')


def _context():
    return {'request_id': 'req-5f1b7d0e-3c1e-4b8a-9d55-2f0d0c4b7a61',
            'global_request_id': None, 'user_id': 'u' * 32,
            'project_id': 'p' * 32, 'auth_token': 'gAAAAAB' + 'x' * 180,
            'roles': ['member', 'reader'], 'is_admin': False,
            'read_deleted': 'no', 'show_deleted': False,
            'service_catalog': [{'type': 'image', 'name': 'glance',
                                 'endpoints': [{'url': 'http://127.0.0.1'
                                                '/image'}]}]}


def child(variant, config_file, log_path, commands, answers):
    """Serve batches: read ``call N`` or ``cast N``, answer its timings."""
    _wake_fake_driver()
    _instrument(variant, config_file, log_path)
    import oslo_messaging as messaging
    from oslo_config import cfg

    argument = json.loads(apps.REQUEST_BODY)
    done = threading.Semaphore(0)

    class Conductor(object):
        def build(self, ctxt, spec):
            return spec

        def build_cast(self, ctxt, spec):
            done.release()

    transport = messaging.get_rpc_transport(cfg.CONF, url='fake:///')
    target = messaging.Target(exchange='nova', topic='conductor',
                              server='bench')
    server = messaging.get_rpc_server(transport, target, [Conductor()],
                                      executor='threading')
    server.start()
    client = messaging.get_rpc_client(
        transport, messaging.Target(exchange='nova', topic='conductor'))
    context = _context()

    def calls(count):
        for _ in range(count):
            if client.call(context, 'build', spec=argument) != argument:
                raise RuntimeError('bad answer')

    def casts(count):
        for _ in range(count):
            client.cast(context, 'build_cast', spec=argument)
        for _ in range(count):
            if not done.acquire(timeout=30):
                raise RuntimeError('a cast was not served')

    run = {'call': calls, 'cast': casts}
    try:
        calls(30)
        casts(30)
        answers.write('ready\n')
        answers.flush()
        for line in commands:
            if not line.strip():
                break
            kind, count = line.split()
            count = int(count)
            wall = time.perf_counter()
            cpu = time.process_time()
            run[kind](count)
            wrappers.flush()
            cpu = time.process_time() - cpu
            wall = time.perf_counter() - wall
            answers.write(json.dumps({'wall_us': wall / count * 1e6,
                                      'cpu_us': cpu / count * 1e6}) + '\n')
            answers.flush()
    finally:
        server.stop()
        server.wait()
        transport.cleanup()


class Peer(object):
    """One child process running one variant."""

    def __init__(self, variant, workdir):
        self.variant = variant
        self.log_path = os.path.join(workdir, 'rpc-%s.log' % variant)
        config_file = write_config(
            os.path.join(workdir, 'rpc-%s.conf' % variant),
            self.log_path, enabled=variant != 'rh-off')
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), '--child', variant,
             '--config-file', config_file, '--log', self.log_path],
            env=harness.python_env(), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        self.sent = {'call': 30, 'cast': 30}
        if self.process.stdout.readline().strip() != 'ready':
            self.close()
            raise RuntimeError('rpc peer %s did not start' % variant)

    def batch(self, kind, count):
        self.process.stdin.write('%s %d\n' % (kind, count))
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError('rpc peer %s died' % self.variant)
        self.sent[kind] += count
        return json.loads(answer)

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write('\n')
                self.process.stdin.flush()
                self.process.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                harness.stop_process(self.process)

    def check(self):
        """The messages sent were recorded (none when off or plain)."""
        lines = 0
        if os.path.exists(self.log_path):
            with open(self.log_path, 'rb') as log:
                lines = sum(1 for _ in log)
        if self.variant == 'rh-on':
            wanted = 4 * self.sent['call'] + 3 * self.sent['cast']
        elif self.variant == 'otel':
            wanted = 2 * (self.sent['call'] + self.sent['cast'])
        else:
            wanted = 0
        if lines != wanted:
            raise RuntimeError('%s wrote %d records, %d expected'
                               % (self.variant, lines, wanted))
        return lines


def measure(variants, messages, rounds, workdir):
    """{(variant, kind): {'wall_us': [...], 'cpu_us': [...]}}."""
    figures = {(variant, kind): {'wall_us': [], 'cpu_us': []}
               for variant in variants for kind in KINDS}
    with contextlib.ExitStack() as stack:
        peers = {}
        for variant in variants:
            peers[variant] = Peer(variant, workdir)
            stack.callback(peers[variant].close)
        for _round, variant in harness.interleaved(variants, rounds):
            for kind in KINDS:
                result = peers[variant].batch(kind, messages)
                for key, value in result.items():
                    figures[variant, kind][key].append(value)
        for peer in peers.values():
            peer.close()
            peer.check()
    return figures


def _added(figures, variant, kind, key):
    return harness.median([mine - none for mine, none in zip(
        figures[variant, kind][key], figures['none', kind][key])])


LABELS = (('rh-off', 'requestshook disabled'), ('rh-on', 'requestshook'),
          ('otel', 'oslo.messaging OTel tracing'))


def rows_for(figures, messages):
    rows = []
    for kind in KINDS:
        unit = 'us/%s' % kind
        for key, what in (('wall_us', 'wall'), ('cpu_us', 'CPU')):
            rows.append(harness.row(
                SECTION, 'none: %s %s' % (kind, what),
                harness.median(figures['none', kind][key]), unit,
                note='median of %d batches of %d' % (
                    len(figures['none', kind][key]), messages)))
        added = {}
        for variant, label in LABELS:
            if (variant, kind) not in figures:
                continue
            for key, what in (('wall_us', 'wall'), ('cpu_us', 'CPU')):
                added[variant, key] = _added(figures, variant, kind, key)
                rows.append(harness.row(
                    SECTION, '%s: added %s %s' % (label, kind, what),
                    added[variant, key], unit))
        for key, what in (('wall_us', 'wall'), ('cpu_us', 'CPU')):
            if ('otel', key) in added and ('rh-on', key) in added and \
                    added['otel', key]:
                rows.append(harness.row(
                    SECTION, 'requestshook / OTel (added %s %s)'
                    % (kind, what),
                    added['rh-on', key] / added['otel', key], 'ratio'))
    return rows


def run(args, workdir, variants=VARIANTS):
    return rows_for(measure(variants, args.rpc_messages, args.rpc_rounds,
                            workdir), args.rpc_messages)


def main():
    import report
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_arguments(parser)
    parser.add_argument('--child', choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument('--config-file', help=argparse.SUPPRESS)
    parser.add_argument('--log', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.config_file, args.log, sys.stdin, sys.stdout)
        return
    with tempfile.TemporaryDirectory(prefix='bench-rpc-') as workdir:
        report.print_table(run(args, workdir))


if __name__ == '__main__':
    main()
