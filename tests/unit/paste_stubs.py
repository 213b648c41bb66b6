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

"""Load a service's paste file with paste.deploy without the service.

paste.deploy imports every factory a pipeline names; nova, glance, swift,
oslo.middleware... are not installed here.  These helpers stand in for
their modules and for ``egg:`` entry points with inert objects, so the
file itself (sections, pipelines, ``use`` and factory lines) is read by
paste.deploy's real loader, while ``requestshook`` stays real.
"""

import importlib.abc
import importlib.machinery
import sys
import types

from paste.deploy import loadwsgi

FOREIGN = frozenset(['glance', 'nova', 'cinder', 'neutron', 'swift',
                     'oslo_middleware', 'keystonemiddleware', 'osprofiler'])


class Stub(object):
    """Any object a foreign module would hold; attributes are stubs too."""

    def __init__(self, name):
        self.name = name
        self._children = {}

    def __getattr__(self, attr):
        if attr.startswith('__'):
            raise AttributeError(attr)
        if attr not in self._children:
            self._children[attr] = Stub(self.name + '.' + attr)
        return self._children[attr]

    def __call__(self, *args, **kwargs):
        raise AssertionError('%s is a stand-in; it cannot run' % self.name)

    def __repr__(self):
        return '<stub %s>' % self.name


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split('.')[0] not in FOREIGN:
            return None
        return importlib.machinery.ModuleSpec(fullname, self,
                                              is_package=True)

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        stub = Stub(spec.name)
        module.__getattr__ = lambda attr: getattr(stub, attr)
        # Recorded so the test's monkeypatch forgets the module again.
        self._monkeypatch.setitem(sys.modules, spec.name, module)
        return module

    def exec_module(self, module):
        pass


def _stub_egg(object_type, uri, spec, name, relative_to, global_conf):
    return loadwsgi.LoaderContext(
        Stub('egg:%s#%s' % (spec, name)), object_type, None,
        dict(global_conf or {}), {}, None)


def stub_foreign_code(monkeypatch):
    """Until the test ends, foreign modules and eggs load as stubs."""
    for name in list(sys.modules):
        if name.split('.')[0] in FOREIGN:
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, 'meta_path',
                        [_StubFinder(monkeypatch)] + sys.meta_path)
    monkeypatch.setitem(loadwsgi._loaders, 'egg', _stub_egg)


def pipeline_filter_contexts(uri, label):
    """``[(name, filter context)]`` of one pipeline, as paste loads it.

    ``label`` is ``[pipeline:NAME] pipeline`` or ``[composite:NAME] KEY``
    (a pipeline-factory flavour, resolved the way glance's, nova's,
    cinder's and neutron's ``pipeline_factory`` do: ``get_filter`` for
    each name but the last, ``get_app`` for the last).
    """
    section, key = label[1:].split('] ', 1)
    kind, name = section.split(':', 1)
    context = loadwsgi.loadcontext(loadwsgi.APP, uri, name=name)
    if kind == 'pipeline':
        assert context.object_type is loadwsgi.PIPELINE
        names = context.loader.parser.get(section, 'pipeline').split()
        assert context.app_context is not None
        return list(zip(names[:-1], context.filter_contexts))
    names = context.local_conf[key].split()
    loadwsgi.loadcontext(loadwsgi.APP, uri, name=names[-1])
    return [(filter_name,
             loadwsgi.loadcontext(loadwsgi.FILTER, uri, name=filter_name))
            for filter_name in names[:-1]]
