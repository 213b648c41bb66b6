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

"""A real qcow2 image to upload (glance checks ``--disk-format qcow2``)."""

import os
import shutil
import struct
import subprocess

CLUSTER_BITS = 16
CLUSTER = 1 << CLUSTER_BITS


def write(path, payload):
    """Write a qcow2 image holding ``payload`` (bytes) at ``path``.

    ``qemu-img`` (Debian's qemu-utils) converts the payload; without it a
    minimal valid qcow2 (header, refcounts, empty L1 table; a disk of
    zeros) is written and ``payload`` is not stored.
    """
    qemu_img = shutil.which('qemu-img')
    if qemu_img:
        raw = path + '.raw'
        with open(raw, 'wb') as raw_file:
            raw_file.write(payload)
        try:
            subprocess.run([qemu_img, 'convert', '-q', '-f', 'raw', '-O',
                            'qcow2', raw, path], check=True)
        finally:
            os.unlink(raw)
    else:
        with open(path, 'wb') as image:
            image.write(minimal(len(payload) or CLUSTER))


def minimal(virtual_size):
    """Four clusters: header, refcount table, refcount block, L1 table."""
    refcount_table, refcount_block, l1_table = CLUSTER, 2 * CLUSTER, \
        3 * CLUSTER
    l2_span = CLUSTER * (CLUSTER // 8)
    l1_size = max(1, -(-virtual_size // l2_span))
    header = struct.pack(
        '>4sIQIIQIIQQIIQ', b'QFI\xfb', 2, 0, 0, CLUSTER_BITS, virtual_size,
        0, l1_size, l1_table, refcount_table, 1, 0, 0)
    image = bytearray(4 * CLUSTER)
    image[:len(header)] = header
    struct.pack_into('>Q', image, refcount_table, refcount_block)
    for cluster in range(4):
        struct.pack_into('>H', image, refcount_block + 2 * cluster, 1)
    return bytes(image)
