"""One notebook face for every result type: a short ``repr``, ``summary()``, HTML, frame and dict.

Result classes are frozen dataclasses that inherit :class:`ResultMixin` and are declared with
``repr=False`` (so the dataclass does not replace the short ``repr``)::

    @dataclass(frozen=True, slots=True, repr=False)
    class KaplanMeierResult(ResultMixin):
        ...

The mixin gives, unless the class defines its own:

1. ``__repr__``: one line, ``Name(key=value, ...)``, with the scalar fields (numbers rounded to
   4 significant digits) and only the shape of arrays and frames, never their values; a class
   lists its key numbers in ``_repr_fields`` to choose them.
2. ``summary()``: a polars frame of the key numbers (the class's own ``to_frame()``, else one row
   of the scalar fields, else the one-dimensional arrays as columns).
3. ``_repr_html_()``: the summary frame's HTML (Jupyter shows it).
4. ``to_frame()``: the result as a table (by default its arrays as columns, else the summary).
5. ``to_dict()``: every field, JSON-ready (arrays as lists, NaN as None, dates as ISO text).

Every subclass is recorded in :data:`RESULT_TYPES` (one test checks all of them).
polars is imported inside the methods only, so :mod:`plasmatrial.stats` still imports with
numpy and scipy alone (decision 0304).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

if TYPE_CHECKING:
    import polars as pl

#: Every result class, by ``module.QualName`` (filled by :meth:`ResultMixin.__init_subclass__`).
RESULT_TYPES: Final[dict[str, type[ResultMixin]]] = {}
#: Longest ``repr`` the mixin writes.
REPR_LIMIT: Final = 400
_SCALARS: Final = (bool, int, float, str, dt.date, enum.Enum)


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready Python: lists, dicts, str, numbers, bool and None only.

    NumPy arrays and scalars become lists and numbers, NaN None and infinities ``"Infinity"``
    or ``"-Infinity"`` (as ``plasmatrial ... --json``), dates ISO text,
    enums their value, polars frames a list of row dicts, results their ``to_dict()`` and
    other dataclasses a dict of their fields; anything else its ``str``.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, ResultMixin):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    kind = type(value).__module__.split(".")[0]
    if kind == "numpy":
        return jsonable(value.tolist())
    if kind == "polars" and hasattr(value, "to_dicts"):
        return jsonable(value.to_dicts())
    if hasattr(value, "model_dump"):  # pydantic (trial files)
        return jsonable(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def _short(value: Any) -> str | None:
    """A field as a few characters for ``repr``, or None to leave it out."""
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, _SCALARS):
        return str(value)
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        return f"<{type(value).__name__} {'x'.join(str(n) for n in shape)}>"
    if isinstance(value, list | tuple | Mapping):
        return f"<{len(value)} items>"
    return f"<{type(value).__name__}>"


class ResultMixin:
    """Short ``repr``, ``summary()``, ``_repr_html_``, ``to_frame()`` and ``to_dict()``."""

    __slots__ = ()
    #: Fields shown by ``repr`` and ``summary()`` (default: every field with a scalar value).
    _repr_fields: ClassVar[tuple[str, ...]] = ()
    #: Properties computed on access that count as fields for ``repr``, ``to_frame()`` and
    #: ``to_dict()`` (values a fit rarely needs, derived from its fields; decision 0358).
    _derived_fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        RESULT_TYPES[f"{cls.__module__}.{cls.__qualname__}"] = cls

    def _field_names(self) -> list[str]:
        if dataclasses.is_dataclass(self):
            return [f.name for f in dataclasses.fields(self)] + list(self._derived_fields)
        return list(self._derived_fields)

    def _key_numbers(self) -> dict[str, Any]:
        """The fields ``repr`` and ``summary()`` show: ``_repr_fields`` or the scalar ones."""
        names = self._repr_fields or tuple(self._field_names())
        out: dict[str, Any] = {}
        for name in names:
            value = getattr(self, name, None)
            if self._repr_fields or value is None or isinstance(value, _SCALARS):
                out[name] = value
        return out

    def __repr__(self) -> str:
        shown = (
            self._key_numbers()
            if self._repr_fields
            else {name: getattr(self, name) for name in self._field_names()}
        )
        parts = [f"{k}={s}" for k, v in shown.items() if (s := _short(v)) is not None]
        text = f"{type(self).__name__}({', '.join(parts)})"
        return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 4] + "...)"

    def _array_frame(self) -> pl.DataFrame | None:
        """The longest group of equal-length one-dimensional array fields as a frame."""
        import polars as pl

        columns: dict[int, dict[str, Any]] = {}
        for name in self._field_names():
            value = getattr(self, name)
            shape = getattr(value, "shape", None)
            if isinstance(shape, tuple) and len(shape) == 1 and type(value).__module__ == "numpy":
                columns.setdefault(shape[0], {})[name] = value
        if not columns:
            return None
        best = max(columns.values(), key=len)
        return pl.DataFrame(best)

    def _own(self, method: str) -> bool:
        """Whether the class defines ``method`` itself (not this mixin's default)."""
        return getattr(type(self), method) is not getattr(ResultMixin, method)

    def summary(self) -> pl.DataFrame:
        """The key numbers as a polars frame.

        The class's own ``to_frame()`` when it has one, else one row of the scalar fields, else
        its one-dimensional arrays as columns.
        """
        import polars as pl

        if self._own("to_frame"):
            return self.to_frame()
        row = {
            k: jsonable(v) if isinstance(v, dt.date | enum.Enum) else v
            for k, v in self._key_numbers().items()
        }
        if row:
            return pl.DataFrame([row])
        arrays = self._array_frame()
        return arrays if arrays is not None else pl.DataFrame({"result": [type(self).__name__]})

    def _repr_html_(self) -> str:
        """HTML of :meth:`summary` (Jupyter)."""
        html: str = self.summary()._repr_html_()
        return html

    def to_frame(self) -> pl.DataFrame:
        """The result as a polars frame: its arrays as columns, else :meth:`summary`."""
        arrays = self._array_frame()
        return arrays if arrays is not None else self.summary()

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (:func:`jsonable`)."""
        return {name: jsonable(getattr(self, name)) for name in self._field_names()}
