"""Immutable record classes that cost nothing to import.

`scan` must finish a whole process in less time than `readelf` takes (about 16 ms for
libc.so.6 here). Importing `dataclasses` costs ~12 ms and `typing` ~7 ms on this machine, and a
frozen dataclass instance takes ~0.8 us to build (2.4 ms for libc's 3044 symbols). A tuple
subclass with named read-only fields builds in ~0.2 us and needs no import, so the reader's
results are records of this kind: immutable, hashable, comparable, with keyword construction,
``_replace`` and ``_asdict``, declared with the same class syntax as ``typing.NamedTuple``
(which is what type checkers see).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    from _operator import itemgetter as _itemgetter  # the C module: operator.py costs 0.3 ms

    def _field_getter(index):
        return property(_itemgetter(index))

    _MISSING = object()

    class _RecordMeta(type):
        def __new__(mcls, name, bases, namespace, **kwargs):
            # No instance __dict__: without it a tuple subclass is truly immutable.
            namespace.setdefault("__slots__", ())
            return super().__new__(mcls, name, bases, namespace, **kwargs)

    class Record(tuple, metaclass=_RecordMeta):
        """Base for immutable records; subclasses declare fields as annotations."""

        _fields: tuple = ()
        _field_defaults: dict = {}

        def __init_subclass__(cls, **kwargs):
            super().__init_subclass__(**kwargs)
            own = tuple(cls.__dict__.get("__annotations__", {}))
            own = tuple(n for n in own if not n.startswith("_"))
            inherited = tuple(f for f in cls._fields if f not in own)
            cls._fields = inherited + own
            defaults = dict(cls._field_defaults)
            for name in own:
                value = cls.__dict__.get(name, _MISSING)
                if value is not _MISSING:
                    defaults[name] = value
            cls._field_defaults = defaults
            for i, name in enumerate(cls._fields):
                setattr(cls, name, _field_getter(i))

        def __new__(_cls, *args, **kwargs):  # noqa: N804 - "cls" may be a field name
            if not kwargs and len(args) == len(_cls._fields):
                return tuple.__new__(_cls, args)
            values = list(args)
            for name in _cls._fields[len(args):]:
                if name in kwargs:
                    values.append(kwargs.pop(name))
                elif name in _cls._field_defaults:
                    values.append(_cls._field_defaults[name])
                else:
                    raise TypeError(f"{_cls.__name__}() missing argument {name!r}")
            if kwargs or len(values) != len(_cls._fields):
                raise TypeError(f"{_cls.__name__}() got unexpected arguments {sorted(kwargs)}")
            return tuple.__new__(_cls, values)

        def __repr__(self):
            body = ", ".join(f"{n}={v!r}" for n, v in zip(self._fields, self))
            return f"{type(self).__name__}({body})"

        def __getnewargs__(self):
            return tuple(self)

        def _replace(self, **changes):
            return type(self)(**{**self._asdict(), **changes})

        def _asdict(self):
            return dict(zip(self._fields, self))


__all__ = ["Record"]
