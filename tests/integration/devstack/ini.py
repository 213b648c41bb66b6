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

"""Stand-ins for devstack's iniset/iniget/inicomment/iniadd_literal.

Same observable behaviour for what the plugin uses: a new option goes
right after its section's header, a new section at the end.
"""

import os
import re
import sys


def _lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as stream:
        return stream.read().splitlines(True)


def _section(lines, section):
    for number, line in enumerate(lines):
        if line.strip() == '[%s]' % section:
            end = number + 1
            while end < len(lines) and not lines[end].startswith('['):
                end += 1
            return number, end
    return None, None


def _option_line(lines, start, end, option):
    pattern = re.compile(r'^\s*%s\s*=' % re.escape(option))
    for number in range(start + 1, end):
        if pattern.match(lines[number]):
            return number
    return None


def main(action, path, section, option, *value):
    lines = _lines(path)
    start, end = _section(lines, section)
    found = None if start is None else _option_line(lines, start, end,
                                                    option)
    if action == 'get':
        if found is not None:
            print(lines[found].split('=', 1)[1].strip())
        return
    if action == 'comment':
        if found is not None:
            lines[found] = '#' + lines[found]
    else:
        new = '%s = %s\n' % (option, ' '.join(value))
        if start is None:
            if lines and not lines[-1].endswith('\n'):
                lines[-1] += '\n'
            lines += ['[%s]\n' % section, new]
        elif action == 'set' and found is not None:
            lines[found] = new
        else:
            lines.insert(start + 1, new)
    with open(path, 'w') as stream:
        stream.write(''.join(lines))


if __name__ == '__main__':
    arguments = [a for a in sys.argv[1:] if a != '-sudo']
    main(*arguments)
