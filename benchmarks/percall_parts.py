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

"""Where the enabled filter's cost per call goes (benchmark 1's remainder).

The call of benchmark 1 (a 2 KiB JSON POST answered with 2 KiB of JSON)
through the enabled filter, measured whole and with its parts taken away
one after the other, the variants interleaved round by round in one
process:

* ``whole``: the filter as it runs;
* ``no write``: the shared log's ``write`` does nothing;
* ``no redaction or encoding``: ``Recorder.emit`` does nothing;
* ``no body records``: bodies are not parsed (a constant record);
* ``bare``: the application alone.

Each step's cost is the difference between neighbours, the median over
rounds of CPU time per call (``time.process_time``), so load from other
processes moves it less than wall time.  A profile, not a goal: the
figures say where the µs are, in place, with the caches as they are in a
real call (a part timed alone is about half as dear).

    python benchmarks/percall_parts.py [--rounds 15] [--calls 2000]
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import apps  # noqa: E402
import wrappers  # noqa: E402

VARIANTS = ('whole', 'no write', 'no redaction or encoding',
            'no body records', 'bare')


def _start_response(status, headers, exc_info=None):
    return None


def _round(app, calls):
    environs = [apps.json_environ() for _ in range(calls)]
    started = time.process_time()
    for index in range(calls):
        environ = environs[index]
        environs[index] = None      # let go after the call, as percall.py
        result = app(environ, _start_response)
        for _chunk in result:
            pass
        close = getattr(result, 'close', None)
        if close is not None:
            close()
    return (time.process_time() - started) / calls * 1e6


def _patches():
    from requestshook import event
    from requestshook.recording import recorder
    from requestshook.recording import sharedlog
    constant = {'size': 2048, 'truncated': False, 'kind': 'json',
                'data': {'a': 1}}

    def emit_nothing(self, event, closing=False):
        return True

    def write_nothing(self, line):
        return True

    def constant_record(*args, **kwargs):
        return dict(constant)
    return {
        'no write': [(sharedlog.SharedLog, 'write', write_nothing)],
        'no redaction or encoding': [
            (recorder.Recorder, 'emit', emit_nothing)],
        'no body records': [(recorder.Recorder, 'emit', emit_nothing),
                            (event, 'body_record', constant_record)],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=15)
    parser.add_argument('--calls', type=int, default=2000)
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix='bench-parts-')
    log_path = os.path.join(workdir, 'parts.log')
    enabled = wrappers.requestshook_filter(apps.json_app, True, log_path)
    patches = _patches()
    figures = {variant: [] for variant in VARIANTS}
    for number in range(args.rounds + 1):
        order = VARIANTS[number % len(VARIANTS):] + \
            VARIANTS[:number % len(VARIANTS)]
        for variant in order:
            app = apps.json_app if variant == 'bare' else enabled
            saved = []
            for owner, name, replacement in patches.get(variant, ()):
                saved.append((owner, name, getattr(owner, name)))
                setattr(owner, name, replacement)
            try:
                figure = _round(app, args.calls)
            finally:
                for owner, name, original in reversed(saved):
                    setattr(owner, name, original)
            if number:      # the first round warms up
                figures[variant].append(figure)
            if os.path.exists(log_path):
                os.truncate(log_path, 0)
    medians = {variant: sorted(values)[len(values) // 2]
               for variant, values in figures.items()}
    print('load average %.2f %.2f %.2f' % os.getloadavg())
    print('%-28s %10s %10s' % ('variant', 'CPU us', 'step us'))
    for index, variant in enumerate(VARIANTS):
        following = VARIANTS[index + 1] if index + 1 < len(VARIANTS) \
            else None
        step = (medians[variant] - medians[following]) if following \
            else medians[variant]
        print('%-28s %10.1f %10.1f' % (variant, medians[variant], step))
    print('%-28s %10.1f' % ('added by the filter',
                            medians['whole'] - medians['bare']))


if __name__ == '__main__':
    main()
