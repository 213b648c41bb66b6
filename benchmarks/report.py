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

"""The benchmark table, printed as a reStructuredText simple table.

The same text goes to the terminal and, pasted, to benchmarks/README.rst.
"""

import argparse
import sys
import tempfile

COLUMNS = ('benchmark', 'figure', 'value', 'unit', 'goal', 'met', 'note')


def _value(value, unit=''):
    if value is None:
        return 'n/a'
    if unit == 'ratio':
        return '%.3f' % value
    if isinstance(value, int):
        return '{:,}'.format(value)
    if abs(value) >= 100:
        return '{:,.0f}'.format(value)
    if abs(value) >= 10:
        return '%.1f' % value
    return '%.2f' % value


def _met(met):
    return {True: 'yes', False: 'NO', None: ''}[met]


def format_table(rows):
    cells = [COLUMNS] + [
        (row.section, row.name, _value(row.value, row.unit), row.unit,
         row.goal, _met(row.met), row.note) for row in rows]
    widths = [max(len(line[column]) or 1 for line in cells)
              for column in range(len(COLUMNS))]
    rule = '  '.join('=' * width for width in widths)

    def line(values):
        return '  '.join(value.ljust(width) for value, width in
                         zip(values, widths)).rstrip()
    text = [rule, line(cells[0]), rule]
    text += [line(values) for values in cells[1:]]
    text.append(rule)
    return '\n'.join(text)


def print_table(rows, preamble=(), stream=None):
    stream = stream or sys.stdout
    for text in preamble:
        stream.write(text + '\n')
    if preamble:
        stream.write('\n')
    stream.write(format_table(rows) + '\n')
    stream.flush()


def run_alone(doc, add_arguments, run, prefix):
    """A benchmark script's main: its options, a scratch folder, the table.

    ``run(args, workdir)`` returns the rows; ``doc`` is the script's module
    docstring, whose first line describes it in ``--help``.
    """
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        print_table(run(args, workdir))
