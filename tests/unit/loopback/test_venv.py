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

import os

from requestshook.loopback import venv


def test_default_path_changes_with_the_pinned_list(monkeypatch, tmp_path):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    first = venv.default_path()
    assert first.startswith(os.path.join(str(tmp_path), 'requestshook',
                                         'stack-venv-'))
    monkeypatch.setattr(venv, 'PINNED', venv.PINNED + ('extra==1',))
    assert venv.default_path() != first


def test_fingerprint_follows_package_files_not_tests(tmp_path):
    (tmp_path / 'pkg').mkdir()
    (tmp_path / 'tests').mkdir()
    module = tmp_path / 'pkg' / 'mod.py'
    module.write_text('a = 1\n')
    before = venv.project_fingerprint(str(tmp_path))
    (tmp_path / 'tests' / 'test_mod.py').write_text('x\n')
    assert venv.project_fingerprint(str(tmp_path)) == before
    module.write_text('a = 22\n')
    assert venv.project_fingerprint(str(tmp_path)) != before
