"""The client's public surface, and which of it the running case called.

Every public method of every endpoint class reachable from a `Client` is wrapped once by a recorder that
notes a call made from this package (not the client's calls to itself) and otherwise does nothing: the
client's behaviour is unchanged.
"""
import functools
import inspect
import os
import sys
import threading

from kbcstorage.base import Endpoint

SUITE_DIR = os.path.dirname(os.path.abspath(__file__))

SURFACE = set()  # "Class.method" of every public method of the installed client
# The methods the case running in this thread called from this package; per thread, so that a case that
# outlived its deadline and still runs cannot count for the next one.
CALLS = threading.local()


def endpoint_classes(client):
    """Every Endpoint class reachable from a Client's attributes (tables.metadata, configurations.metadata)."""
    found, todo = {}, [client]
    while todo:
        obj = todo.pop()
        for value in vars(obj).values():
            if isinstance(value, Endpoint) and type(value).__name__ not in found:
                found[type(value).__name__] = type(value)
                todo.append(value)
    return found


def public_methods(cls):
    for name, raw in inspect.getmembers(cls):
        if name.startswith("_") or isinstance(inspect.getattr_static(cls, name), property):
            continue
        if callable(raw):
            yield name


def record_calls(classes):
    """Wraps each public method so that a call made from this package is noted; behaviour is unchanged."""
    for cls in classes.values():
        for name in public_methods(cls):
            key = "{}.{}".format(cls.__name__, name)
            SURFACE.add(key)
            static = inspect.getattr_static(cls, name)
            inner = static.__func__ if isinstance(static, staticmethod) else static

            def wrapper(*args, __inner=inner, __key=key, **kwargs):
                if os.path.dirname(os.path.abspath(sys._getframe(1).f_code.co_filename)) == SUITE_DIR:
                    getattr(CALLS, "called", set()).add(__key)
                return __inner(*args, **kwargs)

            wrapper = functools.wraps(inner)(wrapper)
            setattr(cls, name, staticmethod(wrapper) if isinstance(static, staticmethod) else wrapper)
