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


"""Wrapper classes that offer exactly what the wrapped object offers.

A wrapper that always defines ``close()`` (or ``__iter__``, ``readinto``,
``__len__``) answers ``hasattr()`` differently from the object it wraps,
and code that asks (oslo.utils' format inspector, a server setting
``Content-Length`` from ``len()``) then takes another path.  So a
wrapper's optional methods are put on a class made for the wrapped
object's type and the methods that object has: ``hasattr`` answers the
same, each method's signature is the wrapped one's
(``inspect.signature``), and everything else is looked up on the wrapped
object itself.
"""

import functools
import inspect
import threading
import types

_classes = {}
_lock = threading.Lock()


def _offers(wrapped, name):
    # Special methods are looked up on the type, never on the instance.
    if name.startswith('__'):
        return hasattr(type(wrapped), name)
    return hasattr(wrapped, name)


def _method_like(function, original):
    """A copy of ``function`` that introspects as ``original``."""
    method = types.FunctionType(function.__code__, function.__globals__,
                                function.__name__, function.__defaults__,
                                function.__closure__)
    method.__kwdefaults__ = function.__kwdefaults__
    if callable(original):
        try:
            inspect.signature(original)
        except (TypeError, ValueError):
            return method
        functools.update_wrapper(method, original, assigned=('__doc__',),
                                 updated=())
    return method


def class_for(base, wrapped):
    """The subclass of ``base`` to wrap ``wrapped`` with.

    ``base.OPTIONAL`` maps method names to the functions to use where the
    wrapped object has a method of that name; the subclass has exactly
    those.  Classes are made once per type and set of methods.
    """
    kind = type(wrapped)
    offered = tuple(name for name in base.OPTIONAL
                    if _offers(wrapped, name))
    key = (base, kind, offered)
    made = _classes.get(key)
    if made is not None:
        return made
    namespace = {'__slots__': (), '__module__': base.__module__}
    for name in offered:
        namespace[name] = _method_like(base.OPTIONAL[name],
                                       getattr(kind, name, None))
    made = type(base.__name__, (base,), namespace)
    with _lock:
        return _classes.setdefault(key, made)
