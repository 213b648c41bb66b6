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

import base64
import hashlib
import os
import zipfile

import setuptools
from setuptools.command import build_py
from setuptools import dist

try:
    from setuptools.command import editable_wheel
except ImportError:  # setuptools < 64: "develop" makes editable installs
    editable_wheel = None

# The opt-in startup hook (requestshook/capture/startup.py):
# requestshook.pth goes to the top of the wheel, i.e. into site-packages,
# where the interpreter reads it at start-up.  Editable installs (pip
# install -e, tox's usedevelop) get it too.
PTH_FILE = 'requestshook.pth'
HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPyWithPth(build_py.build_py):
    def run(self):
        super().run()
        self.copy_file(os.path.join(HERE, PTH_FILE),
                       os.path.join(self.build_lib, PTH_FILE),
                       preserve_mode=0)

    def get_outputs(self, *args, **kwargs):
        return (list(super().get_outputs(*args, **kwargs)) +
                [os.path.join(self.build_lib, PTH_FILE)])


def add_to_wheel(wheel, name, data):
    """Add one top-level file to a built wheel, RECORD included."""
    digest = base64.urlsafe_b64encode(
        hashlib.sha256(data).digest()).rstrip(b'=').decode('ascii')
    record_line = ('%s,sha256=%s,%d\n' % (name, digest, len(data))).encode()
    partial = wheel + '.partial'
    with zipfile.ZipFile(wheel) as source:
        if name in source.namelist():
            return
        with zipfile.ZipFile(partial, 'w', zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                content = source.read(item)
                if item.filename.endswith('.dist-info/RECORD'):
                    content = content.rstrip(b'\n') + b'\n' + record_line
                target.writestr(item, content)
            target.writestr(name, data)
    os.replace(partial, wheel)


if editable_wheel is not None:
    class EditableWheelWithPth(editable_wheel.editable_wheel):
        def run(self):
            super().run()
            with open(os.path.join(HERE, PTH_FILE), 'rb') as stream:
                data = stream.read()
            folder = str(self.dist_dir)
            for name in os.listdir(folder):
                if name.startswith('requestshook-') and \
                        name.endswith('.whl'):
                    add_to_wheel(os.path.join(folder, name), PTH_FILE, data)
else:
    EditableWheelWithPth = None


class Distribution(dist.Distribution):
    # pbr replaces the whole cmdclass with its own commands: choose these
    # two here, where pbr does not reach.
    def get_command_class(self, command):
        if command == 'build_py':
            return BuildPyWithPth
        if command == 'editable_wheel' and EditableWheelWithPth:
            return EditableWheelWithPth
        return super().get_command_class(command)


setuptools.setup(
    setup_requires=['pbr>=2.0.0'],
    pbr=True,
    distclass=Distribution)
