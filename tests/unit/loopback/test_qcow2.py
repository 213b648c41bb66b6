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

import shutil
import struct
import subprocess

import pytest

from requestshook.loopback import qcow2


def test_minimal_image_header():
    image = qcow2.minimal(64 << 20)
    magic, version = struct.unpack_from('>4sI', image)
    size, = struct.unpack_from('>Q', image, 24)
    assert (magic, version, size) == (b'QFI\xfb', 2, 64 << 20)
    assert len(image) == 4 * qcow2.CLUSTER


@pytest.mark.skipif(not shutil.which('qemu-img'), reason='no qemu-img')
def test_minimal_image_passes_qemu_img_check(tmp_path):
    path = tmp_path / 'min.qcow2'
    path.write_bytes(qcow2.minimal(64 << 20))
    subprocess.run(['qemu-img', 'check', str(path)], check=True,
                   stdout=subprocess.DEVNULL)


@pytest.mark.skipif(not shutil.which('qemu-img'), reason='no qemu-img')
def test_write_stores_the_payload(tmp_path):
    path = str(tmp_path / 'data.qcow2')
    payload = b'requestshook' * 1000
    qcow2.write(path, payload)
    raw = str(tmp_path / 'back.raw')
    subprocess.run(['qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', path,
                    raw], check=True)
    with open(raw, 'rb') as back:
        assert back.read()[:len(payload)] == payload
