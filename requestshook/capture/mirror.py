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


# (base, type) -> the names of base.OPTIONAL found on that type, in
# their order, or None when
# the type's answer may not be its instances' (see _offered).
_type_answers = {}
_DEFAULT_LOOKUP = (object.__getattribute__,)
# What instances surely answer hasattr() True for, found on their type.
_PLAIN_METHODS = (types.FunctionType, types.BuiltinFunctionType,
                  types.MethodDescriptorType, types.WrapperDescriptorType,
                  types.ClassMethodDescriptorType, classmethod,
                  staticmethod)


def _answers_of_type(kind, names):
    # Instances answer hasattr() as their type does unless the type
    # computes attributes (__getattr__, __getattribute__) or holds data
    # descriptors (properties, slots) that may raise AttributeError:
    # only plain methods are taken for granted.
    if getattr(kind, '__getattribute__', None) not in _DEFAULT_LOOKUP or \
            hasattr(kind, '__getattr__'):
        return None
    found = []
    for name in names:
        attribute = inspect.getattr_static(kind, name, None)
        if attribute is None:
            continue
        if not isinstance(attribute, _PLAIN_METHODS):
            return None
        found.append(name)
    return tuple(found)


def _offered(base, wrapped):
    kind = type(wrapped)
    key = (base, kind)
    answers = _type_answers.get(key, False)
    if answers is False:
        answers = _type_answers.setdefault(
            key, _answers_of_type(kind, base.OPTIONAL))
    if answers is not None:
        own = getattr(wrapped, '__dict__', None)
        if not own or not any(name in own for name in base.OPTIONAL):
            return answers
    return tuple(name for name in base.OPTIONAL if _offers(wrapped, name))


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
    offered = _offered(base, wrapped)
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
