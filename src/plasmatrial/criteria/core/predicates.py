"""A small closed vocabulary of predicates from which every rule row is built.

Terms (numbers) and predicates (three-valued truths) are frozen dataclasses. Each one

* compiles to a vectorised polars expression (``to_expr``),
* renders back as readable text (``str``),
* lists the input columns (with units) and the reference values it needs (``requires``/``refs``),
* builds a vectorised, truthful explanation of its evaluated values (``explain``), in the words
  and number formats of :mod:`.wording` (decision 0206),
* says whether an input sat exactly on one of its thresholds (``boundary``), and
* says how nearly it holds (``closeness``), so that a "nothing happened" row can name the
  nearest rule that failed (:class:`NearestMiss`).

Three-valued logic: a comparison whose inputs are null is null (unknown). ``AllOf``/``AnyOf``
follow Kleene logic (polars ``&``/``|``), so an unknown input only matters when it could change
the result. The engine uses unknown results for the missing-data downgrade (criteria.md 0.1).

Arithmetic (criteria.md 0.1): percentages and values are rounded to 6 decimals before comparing;
a percentage whose reference is ≤ 0 is undefined (null, "not evaluable"), except under ruling R1
(``r1=True``, progression rules with an absolute floor), where it counts as met (+inf) whenever the
current value is above 0, and as not met (-inf) otherwise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, Literal

import polars as pl

from plasmatrial.criteria.core import wording
from plasmatrial.criteria.core.wording import (
    PCT_DECIMALS,
    clean_number,
    decimal_text,
    fixed_number,
    guarded_number,
    label,
    rounded_text,
    threshold_text,
    unit_of,
    unit_text,
)

Op = Literal["<", "<=", ">", ">=", "=="]
RefKind = Literal[
    "current",
    "baseline",
    "nadir",
    "nadir_to_date",
    "nadir_confirmed",
    "best_value",
    "nadir_while",
]

ROUND_DECIMALS: Final = 6
#: Engine column that is True on the baseline (ABLFL = "Y") row; derivations may read it.
BASELINE_FLAG: Final = "__IS_BL"
_OP_TEXT: Final[dict[str, str]] = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "="}
_NEGATED: Final[dict[str, str]] = {"<": "≥", "<=": ">", ">": "≤", ">=": "<", "==": "≠"}

#: Labels and units of every column a rule may read: static data of :mod:`.wording`.
LABELS: Final = wording.LABELS
UNITS: Final = wording.UNITS


#: Closeness of a failed category gate: low enough that an AND containing one (up to 10 items)
#: is negative, i.e. the rule does not apply (see :meth:`Predicate.closeness`).
GATE_FAILED: Final = -10.0

#: Character columns (never rounded).
CHARACTER: Final = frozenset({"SIFE", "UIFE", "INVLC", "INVLCD"})


# ------------------------------------------------------------------- shared sub-expressions
class SharedExprs:
    """Sub-expressions computed once per frame when they are used more than once (hand-made CSE).

    Explanations repeat sub-expressions (``AllOf.explain`` states every item and again the failing
    ones; a value's text appears in several comparisons). Expressions are built twice under a
    cache (see :func:`sharing`): the first pass (``counting``) builds them inline and counts how
    often each ``to_expr``/``explain``/``explain_as`` result of a term or predicate, or each
    formatted value, is used; in the second pass those used more than once become
    ``pl.col("__X<i>")`` references, and :meth:`apply` adds the named columns to a frame in
    dependency stages. Values are identical to the inline expressions.
    """

    def __init__(self, dates: DateTexts | None = None) -> None:
        #: how dates become text (see :func:`date_text`); ``None``: row by row
        self.dates = dates
        self.counting = True
        self._uses: dict[Hashable, int] = {}
        self._names: dict[Hashable, str] = {}
        self._level: dict[str, int] = {}
        self.stages: list[list[pl.Expr]] = []

    def get(self, key: Hashable, build: Callable[[], pl.Expr]) -> pl.Expr:
        """The expression for ``key``: inline, or a named column if it is used repeatedly."""
        if self.counting:
            self._uses[key] = self._uses.get(key, 0) + 1
            return build()
        name = self._names.get(key)
        if name is not None:
            return pl.col(name)
        expr = build()
        if self._uses.get(key, 0) < 2:
            return expr
        roots = expr.meta.root_names()
        if not roots or expr.meta.is_column():
            return expr  # a literal or a bare column: nothing to share
        level = 1 + max((self._level[r] for r in roots if r in self._level), default=-1)
        name = f"__X{len(self._names)}"
        self._names[key] = name
        self._level[name] = level
        while len(self.stages) <= level:
            self.stages.append([])
        self.stages[level].append(expr.alias(name))
        return pl.col(name)

    def names(self) -> set[str]:
        """Names of the registered columns."""
        return set(self._level)

    def roots(self) -> set[str]:
        """Frame columns the registered expressions read."""
        found = {r for stage in self.stages for e in stage for r in e.meta.root_names()}
        return found - self.names()

    def apply(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        """Add the registered columns, stage by stage."""
        for stage in self.stages:
            lf = lf.with_columns(stage)
        return lf


_SHARED: ContextVar[SharedExprs | None] = ContextVar("_SHARED", default=None)


def sharing(cache: SharedExprs | None) -> Any:
    """Activate ``cache`` for expressions built until the returned token is reset."""
    return _SHARED.set(cache)


def end_sharing(token: Any) -> None:
    """Deactivate the cache activated by :func:`sharing`."""
    _SHARED.reset(token)


def shared_expr(key: Hashable, build: Callable[[], pl.Expr]) -> pl.Expr:
    """``build()``, computed once per frame while a :class:`SharedExprs` cache is active and
    the same ``key`` is used more than once."""
    cache = _SHARED.get()
    return build() if cache is None else cache.get(key, build)


_shared = shared_expr


def _memo(fn: Callable[..., pl.Expr]) -> Callable[..., pl.Expr]:
    if getattr(fn, "_shared", False):
        return fn
    method = fn.__name__

    @functools.wraps(fn)
    def wrapper(self: object, *args: object) -> pl.Expr:
        cache = _SHARED.get()
        if cache is None:
            return fn(self, *args)
        return cache.get((type(self), self, method, args), lambda: fn(self, *args))

    wrapper._shared = True  # type: ignore[attr-defined]
    return wrapper


_MEMO_METHODS: Final = ("to_expr", "explain", "explain_as", "explain_cmp", "closeness")


def _memo_methods(cls: type) -> None:
    for m in _MEMO_METHODS:
        if m in cls.__dict__:
            setattr(cls, m, _memo(cls.__dict__[m]))


def _r(expr: pl.Expr) -> pl.Expr:
    return expr.round(ROUND_DECIMALS)


class _Cat(pl.Expr):
    """A text expression built by :func:`concat_text`, which keeps its pieces so that an enclosing
    :func:`concat_text` splices them into one flat template instead of nesting."""

    _pieces: tuple[str | pl.Expr, ...]


def concat_text(*parts: str | pl.Expr) -> pl.Expr:
    """``pl.concat_str(parts)`` (null if any part is null) as one ``pl.format`` template.

    Python strings are literal text; nested :func:`concat_text` results are flattened into the
    template. Same values as the nested ``concat_str`` (both propagate nulls), but literal text
    costs nothing per row and no intermediate strings are built.
    """
    pieces: list[str | pl.Expr] = []
    for p in parts:
        for q in p._pieces if isinstance(p, _Cat) else (p,):
            if isinstance(q, str) and pieces and isinstance(pieces[-1], str):
                pieces[-1] = pieces[-1] + q
            else:
                pieces.append(q)
    exprs = [q for q in pieces if not isinstance(q, str)]
    if exprs and not any(e.meta.root_names() for e in exprs):
        # only literal inputs (e.g. a typed null): pl.format's scalar result does not broadcast
        # inside other horizontal expressions, so keep concat_str
        e = pl.concat_str([pl.lit(q) if isinstance(q, str) else q for q in pieces])
    elif exprs:
        template = "".join(
            q.replace("{", "{{").replace("}", "}}") if isinstance(q, str) else "{}" for q in pieces
        )
        e = pl.format(template, *exprs)
    else:
        e = pl.lit("".join(q for q in pieces if isinstance(q, str)))
    out = _Cat.__new__(_Cat)
    out._pyexpr = e._pyexpr
    out._pieces = tuple(pieces)
    return out


def _join(items: list[pl.Expr], separator: str) -> pl.Expr:
    """``pl.concat_str(items, separator=separator)`` through :func:`concat_text`."""
    parts: list[str | pl.Expr] = []
    for i, e in enumerate(items):
        parts += [separator, e] if i else [e]
    return concat_text(*parts)


def _unit_piece(expr: pl.Expr, unit: str) -> pl.Expr:
    """' mg/L' after a value, '' where it is missing (see :func:`_fmt_col`)."""
    return pl.when(expr.is_null()).then(pl.lit("")).otherwise(pl.lit(unit_text(unit)))


# ----------------------------------------------------------------------------------- references
@dataclass(frozen=True, slots=True)
class Ref:
    """Which value of a column a term reads.

    ``current`` is the assessment itself; ``baseline`` the ABLFL row; ``nadir`` the lowest value
    from baseline (inclusive) up to but not including the current assessment; ``nadir_to_date``
    the same including the current one; ``nadir_confirmed`` the lowest level seen on two
    consecutive assessments before the current one (ruling R6, never above baseline);
    ``best_value`` the lowest value at the best category reached so far in ``param`` (strictly
    before the current assessment; falls back to the nadir when there is none, ruling R2);
    ``nadir_while`` the lowest value at earlier assessments whose ``param`` category was
    ``category``.
    """

    kind: RefKind
    param: str | None = None
    category: str | None = None

    def column(self, col: str) -> str:
        """Name of the engine column that holds this reference value of ``col``."""
        if self.kind == "current":
            return col
        suffix: str = self.kind
        if self.param is not None:
            suffix += f"_{self.param}"
        if self.category is not None:
            suffix += f"_{self.category}"
        return f"{col}__{suffix}"

    def date_column(self, col: str) -> str:
        """Name of the engine column with the date of the reference value."""
        return "ADT" if self.kind == "current" else self.column(col) + "__ADT"

    def words(self) -> str:
        """The reference in words, for explanations."""
        if self.kind == "best_value":
            return f"value at the best {label(str(self.param))} so far"
        if self.kind == "nadir_while":
            return f"nadir while the {label(str(self.param))} was {self.category}"
        if self.kind == "nadir_confirmed":
            return "lowest confirmed value"
        return str(self)

    def __str__(self) -> str:
        texts = {
            "current": "current",
            "baseline": "baseline",
            "nadir": "nadir",
            "nadir_to_date": "nadir to date",
            "nadir_confirmed": "lowest confirmed value",
            "best_value": f"value at best {self.param} response so far",
            "nadir_while": f"nadir while {self.param} = {self.category}",
        }
        return texts[self.kind]


CURRENT: Final = Ref("current")
BASELINE: Final = Ref("baseline")
NADIR: Final = Ref("nadir")
NADIR_TO_DATE: Final = Ref("nadir_to_date")
NADIR_CONFIRMED: Final = Ref("nadir_confirmed")


def best_value(param: str) -> Ref:
    """Reference: value at the best ``param`` category so far (ruling R2)."""
    return Ref("best_value", param=param)


def nadir_while(param: str, category: str) -> Ref:
    """Reference: lowest value at earlier assessments whose ``param`` category was ``category``."""
    return Ref("nadir_while", param=param, category=category)


@dataclass(frozen=True, slots=True)
class Input:
    """One input a rule reads: column, unit and which value (current or a reference)."""

    column: str
    unit: str
    ref: Ref = CURRENT

    def __str__(self) -> str:
        u = f" [{self.unit}]" if self.unit else ""
        r = "" if self.ref.kind == "current" else f" ({self.ref})"
        return f"{self.column}{u}{r}"


#: Widest date range (days) formatted through a lookup table; wider ranges format row by row.
DATE_TABLE_MAX: Final = 200_000


@dataclass(frozen=True, slots=True, eq=False)
class DateTexts:
    """``%Y-%m-%d`` text (and its JSON) of the assessment dates, through a table of the days in
    the data's range when it is narrow enough (each day formatted once, then looked up for the
    rows that show it), else row by row. Identical text either way.

    Only ``ADT`` and the reference date columns (``<column>__<ref>__ADT``) are looked up: their
    values are assessment dates, so within the table's range.
    """

    lo: int = 0
    table: pl.Series | None = None
    json_table: pl.Series | None = None

    @staticmethod
    def of(adt: pl.Series) -> DateTexts:
        """Texts for the dates of ``adt`` (the assessment dates)."""
        days = adt.cast(pl.Int32)
        lo, hi = days.min(), days.max()
        if not isinstance(lo, int) or not isinstance(hi, int) or hi - lo > DATE_TABLE_MAX:
            return DateTexts()
        table = pl.Series(range(lo, hi + 1), dtype=pl.Int32).cast(pl.Date).dt.to_string("%Y-%m-%d")
        quoted = pl.select(pl.concat_str([pl.lit('"'), pl.lit(table), pl.lit('"')])).to_series()
        return DateTexts(lo, table, quoted.extend_constant("null", 1))

    @staticmethod
    def source(column: str) -> str:
        """The column holding ``column``'s dates (every baseline reference date is BL__ADT)."""
        return "BL__ADT" if column.endswith("__baseline__ADT") else column

    def _looked_up(self, column: str) -> bool:
        return self.table is not None and (column == "ADT" or column.endswith("__ADT"))

    def text(self, column: str) -> pl.Expr:
        """``%Y-%m-%d`` text of a date column (null for a missing date)."""
        c = pl.col(self.source(column))
        if self.table is None or not self._looked_up(column):
            return c.dt.to_string("%Y-%m-%d")
        return pl.lit(self.table).gather(c.cast(pl.Int32) - self.lo)

    def json(self, column: str) -> pl.Expr:
        """JSON text of a date column: the date in quotes, or ``null``."""
        c = pl.col(self.source(column))
        if self.table is None or self.json_table is None or not self._looked_up(column):
            txt = c.dt.to_string("%Y-%m-%d")
            return pl.concat_str([pl.lit('"'), txt, pl.lit('"')]).fill_null("null")
        index = (c.cast(pl.Int32) - self.lo).fill_null(len(self.table))
        return pl.lit(self.json_table).gather(index)


_ROW_BY_ROW: Final = DateTexts()


def _dates() -> DateTexts:
    cache = _SHARED.get()
    return cache.dates if cache is not None and cache.dates is not None else _ROW_BY_ROW


def date_text(date_column: str) -> pl.Expr:
    """``%Y-%m-%d`` text of a date column, made as the active :class:`SharedExprs` says."""
    dates = _dates()
    return _shared(("date_text", dates.source(date_column)), lambda: dates.text(date_column))


def date_json(date_column: str) -> pl.Expr:
    """JSON text of a date column (``"YYYY-MM-DD"`` or ``null``), as :func:`date_text`."""
    dates = _dates()
    return _shared(("date_json", dates.source(date_column)), lambda: dates.json(date_column))


def _ref_text(col: str, ref: Ref) -> pl.Expr:
    """'baseline dFLC 240 mg/L (2024-01-01)' for a reference value ('... missing' without one)."""

    def build() -> pl.Expr:
        value = _fmt_col(ref.column(col), unit_of(col), col)
        return concat_text(f"{ref.words()} {label(col)} ", value, _ref_date(col, ref))

    return _shared(("ref_text", col, ref), build)


def _ref_date(col: str, ref: Ref) -> pl.Expr:
    """' (2024-01-01)' after a reference value, '' where the value is missing."""

    def build() -> pl.Expr:
        date = date_text(ref.date_column(col)).fill_null("no date")
        dated = pl.concat_str([pl.lit(" ("), date, pl.lit(")")])
        return pl.when(pl.col(ref.column(col)).is_null()).then(pl.lit("")).otherwise(dated)

    return _shared(("ref_date", col, ref), build)


def _change_head(col: str, ref: Ref) -> pl.Expr:
    """'dFLC 166.1 mg/L vs baseline 150 mg/L (2024-01-01)' ('missing' for a missing value)."""
    return concat_text(
        f"{label(col)} ",
        _fmt_col(col, unit_of(col)),
        f" vs {ref.words()} ",
        _fmt_col(ref.column(col), unit_of(col), col),
        _ref_date(col, ref),
    )


def rounded_value_text(column: str) -> pl.Expr:
    """:func:`~.wording.rounded_text` of a column, computed once per frame (shared) while a
    :class:`SharedExprs` cache is active: the explanation's number and the INPUTS text both read
    it."""
    return _shared(("rounded", column), lambda: rounded_text(pl.col(column)))


def _ratio_text(column: str, threshold: float | None) -> pl.Expr:
    """A ratio column's value with 2 decimals, guarded against reading as ``threshold``
    (:func:`~.wording.guarded_number`), from texts computed once per frame (shared while a
    :class:`SharedExprs` cache is active: a ratio is usually compared with two thresholds)."""
    c = pl.col(column)
    d = wording.RATIO_DECIMALS
    shown = _shared(
        ("fixed", column, d),
        lambda: fixed_number(c, d, _shared(("decimals", column, d), lambda: decimal_text(c, d))),
    )
    if threshold is None:
        return shown
    clean = _shared(("clean", column), lambda: clean_number(c, rounded_value_text(column)))
    return guarded_number(c, d, threshold, shown=shown, clean=clean)


def _fmt_col(column: str, unit: str, kind: str | None = None) -> pl.Expr:
    """'240 mg/L' (or 'missing') of a column, as two template pieces (shared while a
    :class:`SharedExprs` cache is active); ``kind``: the analyte whose format applies (a
    reference column formats as its analyte)."""
    c = pl.col(column)
    fmt = kind or column
    if fmt in wording.RATIO_COLUMNS:
        text = _shared(("num", column), lambda: _ratio_text(column, None).fill_null("missing"))
    else:
        # the rounded text is shared with the INPUTS text of the column (engine._json_value)
        text = _shared(
            ("num", column),
            lambda: clean_number(c, rounded_value_text(column)).fill_null("missing"),
        )
    if not unit:
        return text
    return concat_text(text, _shared(("unit", column, unit), lambda: _unit_piece(c, unit)))


_OPPOSITE: Final[dict[str, str]] = {"decrease": "increase", "increase": "decrease"}
#: The comparison a change in the opposite direction fails ("not a decrease > 50 %"): the
#: comparison itself for > and ≥, its negation for < and ≤ (true of any opposite change).
_UPPER: Final[dict[str, str]] = {">": ">", ">=": ">=", "<": ">=", "<=": ">", "==": "=="}


def _a(words: str) -> str:
    """``words`` with its indefinite article ('an increase', 'a decrease')."""
    return ("an " if words[:1] in "aeiou" else "a ") + words


def _magnitude(pct: pl.Expr, threshold: float) -> pl.Expr:
    """|pct| with 1 decimal, or at the engine's precision where 1 decimal would read as the
    threshold (cheap form of :func:`~.wording.guarded_number` for a magnitude: never -0)."""
    m = pct.abs()
    ambiguous = (m.round(PCT_DECIMALS) == threshold) & (m.round(ROUND_DECIMALS) != threshold)
    return (
        pl.when(ambiguous)
        .then(m.round(ROUND_DECIMALS))
        .otherwise(m.round(PCT_DECIMALS))
        .cast(pl.Utf8)
    )


def _known_tail(cmp: Cmp, truth: bool | None, unit: str, threshold: str) -> pl.Expr:
    """' % > 30 %' after a known change: the comparison as it holds or fails."""
    holds = pl.lit(f"{unit} {_OP_TEXT[cmp.op]} {threshold}")
    fails = pl.lit(f"{unit} {_NEGATED[cmp.op]} {threshold}")
    if truth is not None:
        return holds if truth else fails
    return pl.when(cmp.to_expr()).then(holds).otherwise(fails)


def _same_change(p: Predicate) -> tuple[str, Ref] | None:
    """(column, reference) of a comparison of a change with a positive threshold, else None:
    consecutive such comparisons of one change in an AND share one head ("NT-proBNP 2001 ng/L vs
    baseline 5404 ng/L (2012-01-10): decrease 63.0 % > 30 %, absolute decrease 3403 ng/L >
    300 ng/L")."""
    if (
        isinstance(p, Cmp)
        and isinstance(p.left, PctChange | AbsChange)
        and isinstance(p.right, Const)
        and p.right.value > 0
    ):
        return (p.left.column, p.left.ref)
    return None


def _joined_true(items: tuple[Predicate, ...]) -> pl.Expr:
    """Explanations of ``items`` known to hold, joined by '; ', one head per change."""
    parts: list[pl.Expr] = []
    previous: tuple[str, Ref] | None = None
    for p in items:
        key = _same_change(p)
        if key is not None and key == previous and isinstance(p, Cmp):
            parts[-1] = concat_text(parts[-1], ", ", p.left.explain_cmp(p, True, False))
        else:
            parts.append(p.explain_as(True))
        previous = key
    return _join(parts, "; ")


def _pct_text(expr: pl.Expr) -> pl.Expr:
    """A percentage change with 1 decimal (no threshold to guard)."""
    return guarded_number(expr, PCT_DECIMALS, None)


def _abs_unit(unit: str) -> str:
    """The unit after an absolute change: ' percentage points' for a value in %."""
    return " percentage points" if unit == "%" else unit_text(unit)


def _op_piece(cmp: Cmp, truth: bool | None) -> pl.Expr | str:
    """' > ' where the comparison holds, ' ≤ ' where it fails, words where it is unknown."""
    if truth is not None:
        return f" {_OP_TEXT[cmp.op] if truth else _NEGATED[cmp.op]} "
    t = cmp.to_expr()
    return (
        pl.when(t)
        .then(pl.lit(f" {_OP_TEXT[cmp.op]} "))
        .when(t.not_())
        .then(pl.lit(f" {_NEGATED[cmp.op]} "))
        .otherwise(pl.lit(f", not assessable against {_OP_TEXT[cmp.op]} "))
    )


# ----------------------------------------------------------------------------------------- terms
class Term:
    """A numeric quantity evaluated per assessment."""

    unit: str = ""

    def to_expr(self) -> pl.Expr:
        """Vectorised value."""
        raise NotImplementedError

    def explain(self) -> pl.Expr:
        """Vectorised text with the evaluated value and its references."""
        raise NotImplementedError

    def inputs(self) -> tuple[Input, ...]:
        """Inputs (columns, units, references) the term reads."""
        raise NotImplementedError

    def explain_cmp(self, cmp: Cmp, truth: bool | None, head: bool = True) -> pl.Expr:
        """Text of ``cmp`` (whose left side is this term) where its truth is ``truth``
        (``None``: as evaluated). ``head=False``: without the values it compares (a change
        whose head the previous comparison of an AND already stated; see :func:`_same_change`)."""
        return concat_text(self.explain(), _op_piece(cmp, truth), cmp.right.explain())

    def _cmp(self, op: Op, other: Term | float) -> Cmp:
        right = other if isinstance(other, Term) else Const(float(other), self.unit)
        return Cmp(self, op, right)

    def __lt__(self, other: Term | float) -> Cmp:
        return self._cmp("<", other)

    def __le__(self, other: Term | float) -> Cmp:
        return self._cmp("<=", other)

    def __gt__(self, other: Term | float) -> Cmp:
        return self._cmp(">", other)

    def __ge__(self, other: Term | float) -> Cmp:
        return self._cmp(">=", other)

    def eq(self, other: Term | float) -> Cmp:
        """Exact equality (after rounding)."""
        return self._cmp("==", other)


@dataclass(frozen=True, slots=True)
class Const(Term):
    """A threshold."""

    value: float
    unit: str = ""

    def to_expr(self) -> pl.Expr:
        return pl.lit(self.value, dtype=pl.Float64)

    def explain(self) -> pl.Expr:
        return concat_text(threshold_text(self.value, self.unit))

    def inputs(self) -> tuple[Input, ...]:
        return ()

    def __str__(self) -> str:
        v = f"{self.value:g}"
        if not self.unit:
            return v
        return f"{v}{self.unit}" if self.unit == "%" else f"{v} {self.unit}"


@dataclass(frozen=True, slots=True)
class Value(Term):
    """Value of a column at the current assessment or at a reference."""

    column: str
    ref: Ref = CURRENT

    @property
    def unit(self) -> str:  # type: ignore[override]
        return unit_of(self.column)

    def to_expr(self) -> pl.Expr:
        return pl.col(self.ref.column(self.column))

    def explain(self) -> pl.Expr:
        if self.ref.kind != "current":
            return _ref_text(self.column, self.ref)
        if self.column in CHARACTER:
            val = pl.col(self.column).cast(pl.Utf8).str.to_lowercase().fill_null("missing")
        else:
            val = _fmt_col(self.column, self.unit)
        return concat_text(label(self.column) + " ", val)

    def explain_cmp(self, cmp: Cmp, truth: bool | None, head: bool = True) -> pl.Expr:
        right = cmp.right
        if (
            self.ref.kind != "current"
            or self.column not in wording.RATIO_COLUMNS
            or not isinstance(right, Const)
        ):
            return Term.explain_cmp(self, cmp, truth)
        shown = _ratio_text(self.column, right.value).fill_null("missing")
        return concat_text(label(self.column) + " ", shown, _op_piece(cmp, truth), right.explain())

    def inputs(self) -> tuple[Input, ...]:
        return (Input(self.column, self.unit, self.ref),)

    def __str__(self) -> str:
        return self.column if self.ref.kind == "current" else f"{self.column} ({self.ref})"


@dataclass(frozen=True, slots=True)
class Scaled(Term):
    """``factor × term`` (e.g. 2 × iFLC nadir)."""

    factor: float
    term: Term

    @property
    def unit(self) -> str:  # type: ignore[override]
        return self.term.unit

    def to_expr(self) -> pl.Expr:
        return self.term.to_expr() * self.factor

    def explain(self) -> pl.Expr:
        return concat_text(f"{self.factor:g} × ", self.term.explain())

    def inputs(self) -> tuple[Input, ...]:
        return self.term.inputs()

    def __str__(self) -> str:
        return f"{self.factor:g} × {self.term}"


@dataclass(frozen=True, slots=True)
class PctChange(Term):
    """Percent decrease ``(R − V)/R × 100`` or increase ``(V − R)/R × 100`` vs a reference.

    With ``r1=False`` a reference ≤ 0 gives null (not evaluable). With ``r1=True`` (ruling R1)
    it gives +inf when the current value is above 0 and -inf otherwise.
    """

    column: str
    ref: Ref
    direction: Literal["decrease", "increase"]
    r1: bool = False
    unit: str = "%"

    def to_expr(self) -> pl.Expr:
        v = pl.col(self.column)
        r = pl.col(self.ref.column(self.column))
        diff = (r - v) if self.direction == "decrease" else (v - r)
        pct = _r(diff / r * 100.0)
        if not self.r1:
            return pl.when(r > 0).then(pct)
        return (
            pl.when(r > 0)
            .then(pct)
            .when(r.is_not_null() & v.is_not_null())
            .then(pl.when(v > 0).then(float("inf")).otherwise(float("-inf")))
        )

    def explain(self) -> pl.Expr:
        p = self.to_expr()
        other = _OPPOSITE[self.direction]
        head = _change_head(self.column, self.ref)
        return (
            pl.when(p.is_null())
            .then(concat_text(head, ": percentage change not defined"))
            .when(p.is_infinite())
            .then(concat_text(head, ": change from a reference ≤ 0 (ruling R1)"))
            .when(p < 0)
            .then(concat_text(head, f": {other} ", _pct_text(-p), " %"))
            .otherwise(concat_text(head, f": {self.direction} ", _pct_text(p), " %"))
        )

    def explain_cmp(self, cmp: Cmp, truth: bool | None, head: bool = True) -> pl.Expr:
        right = cmp.right
        if not isinstance(right, Const) or right.value <= 0:
            return Term.explain_cmp(self, cmp, truth)
        d, other = self.direction, _OPPOSITE[self.direction]
        p = self.to_expr()
        v, r = pl.col(self.column), pl.col(self.ref.column(self.column))
        thr = threshold_text(right.value, "%")
        op = _OP_TEXT[cmp.op]
        stated = f"{d} {_OP_TEXT[_UPPER[cmp.op]]} {thr}"
        missing = p.is_null() & (v.is_null() | r.is_null())
        unquoted = p.is_null() | p.is_infinite()
        # one template: head, separator, direction word, number, tail (literal choices)
        word = (
            pl.when(unquoted)
            .then(pl.lit(""))
            .when(p < 0)
            .then(pl.lit(f"{other} "))
            .otherwise(pl.lit(f"{d} "))
        )
        number = pl.when(unquoted).then(pl.lit("")).otherwise(_magnitude(p, right.value))
        tail = (
            pl.when(missing)
            .then(pl.lit(f"not assessable against {_a(d)} {op} {thr}"))
            .when(p.is_null())
            .then(
                pl.lit(
                    "percentage change not defined (reference ≤ 0), not assessable against "
                    f"{_a(d)} {op} {thr}"
                )
            )
            .when(p == float("inf"))
            .then(pl.lit(f"rise from a reference ≤ 0, counted as {_a(d)} {op} {thr} (ruling R1)"))
            .when(p == float("-inf"))
            .then(pl.lit(f"no rise from a reference ≤ 0, not {_a(stated)} (ruling R1)"))
            .when(p < 0)
            .then(pl.lit(f" %, not {_a(stated)}"))
            .otherwise(_known_tail(cmp, truth, " %", thr))
        )
        if not head:
            return concat_text(word, number, tail)
        sep = pl.when(missing).then(pl.lit(", ")).otherwise(pl.lit(": "))
        return concat_text(_change_head(self.column, self.ref), sep, word, number, tail)

    def inputs(self) -> tuple[Input, ...]:
        u = unit_of(self.column)
        return (Input(self.column, u), Input(self.column, u, self.ref))

    def __str__(self) -> str:
        r1 = "; R1" if self.r1 else ""
        return f"pct_{self.direction}({self.column} vs {self.ref}{r1})"


@dataclass(frozen=True, slots=True)
class AbsChange(Term):
    """Absolute decrease ``R − V`` or increase ``V − R`` vs a reference, in the column's unit."""

    column: str
    ref: Ref
    direction: Literal["decrease", "increase"]

    @property
    def unit(self) -> str:  # type: ignore[override]
        return unit_of(self.column)

    def to_expr(self) -> pl.Expr:
        v = pl.col(self.column)
        r = pl.col(self.ref.column(self.column))
        return _r((r - v) if self.direction == "decrease" else (v - r))

    def explain(self) -> pl.Expr:
        a = self.to_expr()
        u = _abs_unit(self.unit)
        head = _change_head(self.column, self.ref)
        other = _OPPOSITE[self.direction]
        return (
            pl.when(a.is_null())
            .then(head)
            .when(a < 0)
            .then(concat_text(head, f": absolute {other} ", clean_number(-a), u))
            .otherwise(concat_text(head, f": absolute {self.direction} ", clean_number(a), u))
        )

    def explain_cmp(self, cmp: Cmp, truth: bool | None, head: bool = True) -> pl.Expr:
        right = cmp.right
        if not isinstance(right, Const) or right.value <= 0:
            return Term.explain_cmp(self, cmp, truth)
        d, other = self.direction, _OPPOSITE[self.direction]
        a = self.to_expr()
        u = _abs_unit(self.unit)
        thr = f"{right.value:g}{u}"
        stated = f"{d} {_OP_TEXT[_UPPER[cmp.op]]} {thr}"
        word = (
            pl.when(a.is_null())
            .then(pl.lit(""))
            .when(a < 0)
            .then(pl.lit(f"absolute {other} "))
            .otherwise(pl.lit(f"absolute {d} "))
        )
        number = pl.when(a.is_null()).then(pl.lit("")).otherwise(clean_number(a.abs()))
        tail = (
            pl.when(a.is_null())
            .then(pl.lit(f"not assessable against an absolute {d} {_OP_TEXT[cmp.op]} {thr}"))
            .when(a < 0)
            .then(pl.lit(f"{u}, not an absolute {stated}"))
            .otherwise(_known_tail(cmp, truth, u, thr))
        )
        if not head:
            return concat_text(word, number, tail)
        sep = pl.when(a.is_null()).then(pl.lit(", ")).otherwise(pl.lit(": "))
        return concat_text(_change_head(self.column, self.ref), sep, word, number, tail)

    def inputs(self) -> tuple[Input, ...]:
        u = unit_of(self.column)
        return (Input(self.column, u), Input(self.column, u, self.ref))

    def __str__(self) -> str:
        return f"abs_{self.direction}({self.column} vs {self.ref})"


def value(column: str, ref: Ref = CURRENT) -> Value:
    """Value of ``column`` (current assessment or a reference)."""
    return Value(column, ref)


def pct_decrease(column: str, ref: Ref = BASELINE) -> PctChange:
    """Percent decrease of ``column`` from a reference (undefined when reference ≤ 0)."""
    return PctChange(column, ref, "decrease")


def pct_increase(column: str, ref: Ref = NADIR, *, r1: bool = False) -> PctChange:
    """Percent increase of ``column`` over a reference (``r1``: ruling R1 for reference ≤ 0)."""
    return PctChange(column, ref, "increase", r1)


def abs_decrease(column: str, ref: Ref = BASELINE) -> AbsChange:
    """Absolute decrease of ``column`` from a reference."""
    return AbsChange(column, ref, "decrease")


def abs_increase(column: str, ref: Ref = NADIR) -> AbsChange:
    """Absolute increase of ``column`` over a reference."""
    return AbsChange(column, ref, "increase")


# ------------------------------------------------------------------------------------ predicates
class Predicate:
    """A three-valued condition evaluated per assessment."""

    def to_expr(self) -> pl.Expr:
        """Vectorised Boolean (null = unknown)."""
        raise NotImplementedError

    def explain(self) -> pl.Expr:
        """Vectorised text stating the evaluated values truthfully."""
        raise NotImplementedError

    def inputs(self) -> tuple[Input, ...]:
        """Inputs the predicate reads (columns, units and references), de-duplicated."""
        raise NotImplementedError

    def explain_as(self, truth: bool) -> pl.Expr:
        """Explanation for rows where the predicate is known to be ``truth`` (smaller plan)."""
        return self.explain()

    def boundary(self) -> pl.Expr | None:
        """True where an input equals one of the predicate's thresholds exactly."""
        return None

    def closeness(self) -> pl.Expr:
        """How nearly the predicate holds: 1 where it holds, in [0, 1) where it fails (how far
        its values got towards their thresholds; AND: the mean of its items, OR: the maximum),
        :data:`GATE_FAILED` where a category gate fails (the rule does not apply), null where
        unknown. Used only to pick the rule an explanation names as the nearest miss
        (:class:`NearestMiss`); never in a call."""
        t = self.to_expr()
        return pl.when(t).then(1.0).when(t.not_()).then(0.0)

    def children(self) -> tuple[Predicate, ...]:
        """Direct sub-predicates."""
        return ()

    def requires(self) -> tuple[Input, ...]:
        """Alias of :meth:`inputs` (the rule's required inputs with units)."""
        return self.inputs()

    def walk(self) -> Iterator[Predicate]:
        """This predicate and every descendant."""
        yield self
        for c in self.children():
            yield from c.walk()


def _dedupe(items: tuple[Input, ...]) -> tuple[Input, ...]:
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True, slots=True)
class Cmp(Predicate):
    """``left op right`` after rounding both sides to 6 decimals."""

    left: Term
    op: Op
    right: Term

    def to_expr(self) -> pl.Expr:
        a, b = _r(self.left.to_expr()), _r(self.right.to_expr())
        match self.op:
            case "<":
                return a < b
            case "<=":
                return a <= b
            case ">":
                return a > b
            case ">=":
                return a >= b
            case _:
                return a == b

    def explain(self) -> pl.Expr:
        return self.left.explain_cmp(self, None)

    def explain_as(self, truth: bool) -> pl.Expr:
        return self.left.explain_cmp(self, truth)

    def closeness(self) -> pl.Expr:
        a, b = _r(self.left.to_expr()), _r(self.right.to_expr())
        # NaN (from NaN or infinite values) reads as 0: filled where it arises, before the clip
        # (the same values as filling the clipped ratio; filling the whole when/then would
        # evaluate it twice)
        if self.op in (">", ">="):
            ratio = pl.when(b > 0).then((a / b).fill_nan(0.0).clip(0.0, 1.0)).otherwise(0.0)
        elif self.op in ("<", "<="):
            ratio = pl.when(a > 0).then((b / a).fill_nan(0.0).clip(0.0, 1.0)).otherwise(0.0)
        else:
            ratio = pl.lit(0.0)
        truth = self.to_expr()
        return pl.when(truth).then(1.0).when(truth.not_()).then(ratio)

    def inputs(self) -> tuple[Input, ...]:
        return _dedupe(self.left.inputs() + self.right.inputs())

    def boundary(self) -> pl.Expr | None:
        if self.op == "==":
            return None
        return _r(self.left.to_expr()) == _r(self.right.to_expr())

    def __str__(self) -> str:
        return f"{self.left} {_OP_TEXT[self.op]} {self.right}"


@dataclass(frozen=True, slots=True)
class _Compound(Predicate):
    """A predicate on several sub-predicates: their inputs, threshold boundary and children."""

    items: tuple[Predicate, ...]

    def inputs(self) -> tuple[Input, ...]:
        return _dedupe(tuple(i for p in self.items for i in p.inputs()))

    def boundary(self) -> pl.Expr | None:
        return _any_boundary(self.items)

    def children(self) -> tuple[Predicate, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class AllOf(_Compound):
    """Conjunction (Kleene)."""

    def to_expr(self) -> pl.Expr:
        return pl.all_horizontal([p.to_expr() for p in self.items])

    def explain(self) -> pl.Expr:
        everything = _join([p.explain() for p in self.items], "; ")
        failing = pl.concat_str(
            [pl.when(p.to_expr().fill_null(False).not_()).then(p.explain()) for p in self.items],
            separator="; ",
            ignore_nulls=True,
        )
        return pl.when(self.to_expr().fill_null(True)).then(everything).otherwise(failing)

    def explain_as(self, truth: bool) -> pl.Expr:
        if truth:
            return _joined_true(self.items)
        return pl.concat_str(
            [
                pl.when(p.to_expr().not_().fill_null(False)).then(p.explain_as(False))
                for p in self.items
            ],
            separator="; ",
            ignore_nulls=True,
        )

    def closeness(self) -> pl.Expr:
        # the mean of the items (a failed gate, -10, makes it negative: the rule does not apply)
        return pl.mean_horizontal([p.closeness() for p in self.items])

    def __str__(self) -> str:
        return " AND ".join(_paren(p) for p in self.items)


@dataclass(frozen=True, slots=True)
class AnyOf(_Compound):
    """Disjunction (Kleene)."""

    def to_expr(self) -> pl.Expr:
        return pl.any_horizontal([p.to_expr() for p in self.items])

    def explain(self) -> pl.Expr:
        met = pl.concat_str(
            [pl.when(p.to_expr()).then(p.explain()) for p in self.items],
            separator=" or ",
            ignore_nulls=True,
        )
        everything = _join([p.explain() for p in self.items], "; ")
        return pl.when(self.to_expr().fill_null(False)).then(met).otherwise(everything)

    def explain_as(self, truth: bool) -> pl.Expr:
        if not truth:
            return _join([p.explain_as(False) for p in self.items], "; ")
        return pl.concat_str(
            [pl.when(p.to_expr().fill_null(False)).then(p.explain_as(True)) for p in self.items],
            separator=" or ",
            ignore_nulls=True,
        )

    def closeness(self) -> pl.Expr:
        return pl.max_horizontal([p.closeness() for p in self.items])

    def __str__(self) -> str:
        return " OR ".join(_paren(p) for p in self.items)


@dataclass(frozen=True, slots=True)
class FirstOf(_Compound):
    """The first sub-predicate that is known decides (e.g. the first troponin assay measured)."""

    def to_expr(self) -> pl.Expr:
        return pl.coalesce([p.to_expr() for p in self.items])

    def explain(self) -> pl.Expr:
        result: pl.Expr = _join([p.explain() for p in self.items], "; ")
        for p in reversed(self.items):
            result = pl.when(p.to_expr().is_not_null()).then(p.explain()).otherwise(result)
        return result

    def boundary(self) -> pl.Expr | None:
        parts = [(p.to_expr().is_not_null(), p.boundary()) for p in self.items]
        chain: pl.Expr | None = None
        for known, b in reversed(parts):
            here = pl.lit(False) if b is None else b
            chain = (
                pl.when(known).then(here).otherwise(chain)
                if chain is not None
                else pl.when(known).then(here)
            )
        return chain

    def closeness(self) -> pl.Expr:
        return pl.coalesce(
            [pl.when(p.to_expr().is_not_null()).then(p.closeness()) for p in self.items]
        )

    def __str__(self) -> str:
        return "first measured of: " + " | ".join(_paren(p) for p in self.items)


@dataclass(frozen=True, slots=True)
class _OnItem(Predicate):
    """A predicate built on one sub-predicate: its inputs, threshold boundary and only child."""

    item: Predicate

    def inputs(self) -> tuple[Input, ...]:
        return self.item.inputs()

    def boundary(self) -> pl.Expr | None:
        return self.item.boundary()

    def children(self) -> tuple[Predicate, ...]:
        return (self.item,)


@dataclass(frozen=True, slots=True)
class Not(_OnItem):
    """Negation (null stays null)."""

    def to_expr(self) -> pl.Expr:
        return self.item.to_expr().not_()

    def explain(self) -> pl.Expr:
        return self.item.explain()

    def explain_as(self, truth: bool) -> pl.Expr:
        return self.item.explain_as(not truth)

    def closeness(self) -> pl.Expr:
        t = self.to_expr()
        fail = GATE_FAILED if isinstance(self.item, CategoryIs) else 0.0
        return pl.when(t).then(1.0).when(t.not_()).then(fail)

    def __str__(self) -> str:
        return f"NOT ({self.item})"


@dataclass(frozen=True, slots=True)
class Known(_OnItem):
    """``item`` with unknown read as a given truth (``missing``): for exclusions and gates."""

    missing: bool = False

    def to_expr(self) -> pl.Expr:
        return self.item.to_expr().fill_null(self.missing)

    def explain(self) -> pl.Expr:
        return self.item.explain()

    def explain_as(self, truth: bool) -> pl.Expr:
        return self.item.explain_as(truth) if truth != self.missing else self.item.explain()

    def __str__(self) -> str:
        return f"{self.item} [unknown counts as {str(self.missing).lower()}]"


@dataclass(frozen=True, slots=True)
class Present(Predicate):
    """The value is available (never unknown)."""

    term: Term

    def to_expr(self) -> pl.Expr:
        return self.term.to_expr().is_not_null()

    def explain(self) -> pl.Expr:
        return self.term.explain()

    def inputs(self) -> tuple[Input, ...]:
        return self.term.inputs()

    def __str__(self) -> str:
        return f"{self.term} present"


@dataclass(frozen=True, slots=True)
class Missing(Predicate):
    """The value is not available (never unknown)."""

    term: Term

    def to_expr(self) -> pl.Expr:
        return self.term.to_expr().is_null()

    def explain(self) -> pl.Expr:
        return self.term.explain()

    def inputs(self) -> tuple[Input, ...]:
        return self.term.inputs()

    def __str__(self) -> str:
        return f"{self.term} missing"


@dataclass(frozen=True, slots=True)
class Equals(Predicate):
    """A character column equals a value (null → unknown)."""

    column: str
    value: str
    ref: Ref = CURRENT

    def to_expr(self) -> pl.Expr:
        return pl.col(self.ref.column(self.column)) == self.value

    def explain(self) -> pl.Expr:
        prefix = (
            label(self.column)
            if self.ref.kind == "current"
            else f"{self.ref.words()} {label(self.column)}"
        )
        c = pl.col(self.ref.column(self.column)).str.to_lowercase()
        return concat_text(prefix + " ", c.fill_null("missing"))

    def inputs(self) -> tuple[Input, ...]:
        return (Input(self.column, "", self.ref),)

    def __str__(self) -> str:
        return f"{self.column} = {self.value}"


@dataclass(frozen=True, slots=True)
class CategoryIs(Predicate):
    """An earlier parameter's category (or its best-so-far) is one of ``values``; null → False."""

    column: str
    values: tuple[str, ...]

    def to_expr(self) -> pl.Expr:
        return pl.col(self.column).is_in(list(self.values)).fill_null(False)

    def explain(self) -> pl.Expr:
        c = pl.col(self.column)
        base = self.column.partition("__")[0]
        if self.column.endswith("__BEST"):
            first = pl.lit(f"no {label(base)} assessed before this visit")
            return (
                pl.when(c.is_null()).then(first).otherwise(concat_text(f"{label(self.column)} ", c))
            )
        plain = concat_text(f"{label(self.column)} ", c.fill_null("none"))
        texts = wording.CATEGORY_TEXTS.get(base)
        if not texts:
            return plain
        words = c.replace_strict(texts, default=None, return_dtype=pl.Utf8)
        return pl.when(words.is_not_null()).then(words).otherwise(plain)

    def inputs(self) -> tuple[Input, ...]:
        return (Input(self.column, ""),)

    def boundary(self) -> pl.Expr | None:
        return pl.col(f"{self.column}__BOUNDARY") if "__" not in self.column else None

    def closeness(self) -> pl.Expr:
        return pl.when(self.to_expr()).then(1.0).otherwise(GATE_FAILED)

    def __str__(self) -> str:
        return f"{self.column} ∈ {{{', '.join(self.values)}}}"


@dataclass(frozen=True, slots=True)
class Flag(Predicate):
    """A Boolean column; null reads as ``missing`` (``None`` keeps it unknown)."""

    column: str
    missing: bool | None = None

    def to_expr(self) -> pl.Expr:
        e = pl.col(self.column).cast(pl.Boolean)
        return e if self.missing is None else e.fill_null(self.missing)

    def explain(self) -> pl.Expr:
        c = pl.col(self.column).cast(pl.Boolean)
        yes, no, unknown = wording.FLAG_TEXTS.get(
            self.column,
            (
                f"{label(self.column)}: yes",
                f"{label(self.column)}: no",
                f"{label(self.column)} missing",
            ),
        )
        return (
            pl.when(c).then(pl.lit(yes)).when(c.not_()).then(pl.lit(no)).otherwise(pl.lit(unknown))
        )

    def inputs(self) -> tuple[Input, ...]:
        return (Input(self.column, ""),)

    def __str__(self) -> str:
        tail = "" if self.missing is None else f" (missing counts as {str(self.missing).lower()})"
        return f"{self.column} is true{tail}"


@dataclass(frozen=True, slots=True)
class Described(_OnItem):
    """``item`` whose explanation, once its truth is known, is a fixed human sentence (e.g. a
    gate flag: "urine M-protein not followed" instead of the flag's raw value)."""

    when_true: str
    when_false: str

    def to_expr(self) -> pl.Expr:
        return self.item.to_expr()

    def explain(self) -> pl.Expr:
        truth = self.item.to_expr()
        return (
            pl.when(truth)
            .then(pl.lit(self.when_true))
            .when(truth.not_())
            .then(pl.lit(self.when_false))
            .otherwise(self.item.explain())
        )

    def explain_as(self, truth: bool) -> pl.Expr:
        return pl.lit(self.when_true if truth else self.when_false)

    def closeness(self) -> pl.Expr:
        return self.item.closeness()

    def __str__(self) -> str:
        return str(self.item)


@dataclass(frozen=True, slots=True)
class Waived(Predicate):
    """``item``, held true where ``waiver`` holds (``waiver OR item``, Kleene); the explanation
    states ``waived`` there instead of the item's values.

    For a condition that another part of the same rule already tests in full where the waiver
    holds (e.g. the serum VGPR route's urine clause when urine is a followed parameter with its
    own VGPR threshold): the truth is that of the plain ``OR`` but the values are not stated twice.
    """

    waiver: Predicate
    item: Predicate
    waived: str

    def to_expr(self) -> pl.Expr:
        return self.waiver.to_expr() | self.item.to_expr()

    def explain(self) -> pl.Expr:
        return (
            pl.when(self.waiver.to_expr()).then(pl.lit(self.waived)).otherwise(self.item.explain())
        )

    def explain_as(self, truth: bool) -> pl.Expr:
        if not truth:  # false: the waiver does not hold and the item is false
            return self.item.explain_as(False)
        waived = self.waiver.to_expr().fill_null(False)
        return pl.when(waived).then(pl.lit(self.waived)).otherwise(self.item.explain_as(True))

    def inputs(self) -> tuple[Input, ...]:
        return _dedupe(self.item.inputs() + self.waiver.inputs())

    def boundary(self) -> pl.Expr | None:
        return self.item.boundary()

    def closeness(self) -> pl.Expr:
        return (
            pl.when(self.waiver.to_expr().fill_null(False))
            .then(1.0)
            .otherwise(self.item.closeness())
        )

    def children(self) -> tuple[Predicate, ...]:
        return (self.waiver, self.item)

    def __str__(self) -> str:
        return f"{_paren(self.item)} unless {_paren(self.waiver)}"


@dataclass(frozen=True, slots=True)
class Alternative:
    """A rule an explanation may name as the nearest miss: its id, a few words, its condition."""

    rule_id: str
    name: str
    when: Predicate


@dataclass(frozen=True, slots=True)
class NearestMiss(_OnItem):
    """``item``, explained (where it holds) by the nearest of ``alternatives`` that failed.

    For a "nothing happened" row (no progression, no response): its own condition only says that
    values were available; the explanation says which alternative rule came closest and why it is
    not met ("no progression; nearest rule AL2012.PROG.FLC (FLC progression) not met: ...").
    Nearest is the largest :meth:`Predicate.closeness` among the alternatives known to be false
    (ties: the first). ``show_item`` keeps the item's own explanation in front.
    """

    lead: str = ""
    alternatives: tuple[Alternative, ...] = ()
    show_item: bool = True

    def to_expr(self) -> pl.Expr:
        return self.item.to_expr()

    def explain(self) -> pl.Expr:
        return pl.when(self.to_expr()).then(self.explain_as(True)).otherwise(self.item.explain())

    def explain_as(self, truth: bool) -> pl.Expr:
        if not truth:
            return self.item.explain_as(False)
        nearest = self.nearest()
        if not self.show_item:
            return nearest
        return concat_text(self.item.explain_as(True), "; ", nearest)

    def nearest(self) -> pl.Expr:
        """'<lead>; nearest rule <id> (<name>) not met: <why>' (only ``lead`` if none failed).

        Where the engine has fixed this wrapper's :meth:`choice` for the rows being explained
        (:func:`choosing`), only the chosen alternative's text is built."""
        chosen = _CHOSEN.get()
        if chosen is not None and self in chosen:
            return self._why(chosen[self])
        picks = self._picks()
        text: pl.Expr = pl.lit(self.lead)
        for j in range(len(picks) - 1, -1, -1):
            text = pl.when(picks[j]).then(self._why(j)).otherwise(text)
        return text

    def scores(self) -> list[pl.Expr]:
        """Per alternative: its closeness where it is known to be false, else below any
        closeness (never null)."""
        return [
            pl.when(a.when.to_expr().not_().fill_null(False))
            .then(a.when.closeness().fill_null(GATE_FAILED))
            .otherwise(2 * GATE_FAILED)
            for a in self.alternatives
        ]

    def choice(
        self, scores: Sequence[pl.Expr] | None = None, top: pl.Expr | None = None
    ) -> pl.Expr:
        """Index (Int8) of the alternative that :meth:`nearest` names in each row, -1 where it
        names none; never null. ``scores``: :meth:`scores`, and ``top`` their maximum, e.g. as
        computed columns (each is read once per alternative). The engine explains the rows of
        each choice separately, so that a row's text is built for its own alternative only
        (decision 0251)."""
        expr: pl.Expr = pl.lit(-1, dtype=pl.Int8)
        picks = self._picks(scores, top)
        for j in range(len(picks) - 1, -1, -1):
            expr = pl.when(picks[j]).then(pl.lit(j, dtype=pl.Int8)).otherwise(expr)
        return expr

    def _picks(
        self, scores: Sequence[pl.Expr] | None = None, top: pl.Expr | None = None
    ) -> list[pl.Expr]:
        """Per alternative: where it is the nearest failed one (the first of equal nearest
        ones is the one named: :meth:`nearest` and :meth:`choice` test them in order)."""
        if scores is None:
            scores = self.scores()
        if not scores:
            return []
        if top is None:
            top = pl.max_horizontal(scores)
        return [(score == top) & (score >= 0.0) for score in scores]

    def _why(self, j: int) -> pl.Expr:
        """The text naming alternative ``j`` (``-1``: none, the lead alone)."""
        if j < 0:
            return pl.lit(self.lead)
        a = self.alternatives[j]
        return concat_text(
            f"{self.lead}; nearest rule {a.rule_id} ({a.name}) not met: ",
            a.when.explain_as(False),
        )

    def inputs(self) -> tuple[Input, ...]:
        return _dedupe(
            self.item.inputs() + tuple(i for a in self.alternatives for i in a.when.inputs())
        )

    def closeness(self) -> pl.Expr:
        return self.item.closeness()

    def __str__(self) -> str:
        return str(self.item)


#: The :meth:`NearestMiss.choice` fixed for the rows being explained (see :func:`choosing`).
_CHOSEN: ContextVar[dict[NearestMiss, int] | None] = ContextVar("_CHOSEN", default=None)


def choosing(choices: dict[NearestMiss, int] | None) -> Any:
    """Build explanations for rows where each :class:`NearestMiss` in ``choices`` names the given
    alternative (its :meth:`~NearestMiss.choice`), until :func:`end_choosing`. The caller must
    explain only such rows: the text is that alternative's alone."""
    return _CHOSEN.set(choices)


def end_choosing(token: Any) -> None:
    """Undo :func:`choosing`."""
    _CHOSEN.reset(token)


def nearest_misses(pred: Predicate) -> list[NearestMiss]:
    """The :class:`NearestMiss` wrappers in ``pred`` (its own alternatives not searched)."""
    found: list[NearestMiss] = []

    def walk(p: Predicate) -> None:
        if isinstance(p, NearestMiss):
            found.append(p)
        for k in p.children():
            walk(k)

    walk(pred)
    return list(dict.fromkeys(found))


def nearest_miss(
    item: Predicate, lead: str, alternatives: Sequence[Alternative], *, show_item: bool = True
) -> NearestMiss:
    """``item`` explained by the nearest failed alternative rule (see :class:`NearestMiss`)."""
    return NearestMiss(item, lead, tuple(alternatives), show_item)


def blocking_missing(pred: Predicate, unknown: pl.Expr) -> dict[str, pl.Expr]:
    """The inputs whose absence leaves ``pred`` unknown: column → True where it is missing and
    blocks, given ``unknown`` (True where ``pred`` is unknown; the engine passes its materialised
    column).

    A missing input blocks if its condition can be unknown (a comparison, an IFE test, a flag
    without a default) and every enclosing condition up to ``pred`` is unknown. Under an unknown
    AND every unknown item is unknown, so only the branches of an OR (or first-of, or waiver) need
    their own test. Dates of references are not listed (they are missing only with their value).
    """
    found: dict[str, list[pl.Expr]] = {}

    def walk(p: Predicate, path: pl.Expr) -> None:
        if isinstance(p, Known | Present | Missing | CategoryIs):
            return  # never unknown
        if isinstance(p, Flag) and p.missing is not None:
            return
        kids = p.children()
        if kids:
            branch = isinstance(p, AnyOf | FirstOf | Waived)
            for k in kids:
                walk(k, path & k.to_expr().is_null() if branch else path)
            return
        for i in p.inputs():
            name = i.ref.column(i.column)
            found.setdefault(name, []).append(path & pl.col(name).is_null())

    walk(pred, unknown)
    return {name: pl.any_horizontal(conds) for name, conds in found.items()}


def _any_boundary(items: tuple[Predicate, ...]) -> pl.Expr | None:
    parts = [b for b in (p.boundary() for p in items) if b is not None]
    if not parts:
        return None
    return pl.any_horizontal([b.fill_null(False) for b in parts])


def _paren(p: Predicate) -> str:
    return f"({p})" if isinstance(p, AllOf | AnyOf | FirstOf) and len(p.children()) > 1 else str(p)


def all_of(*items: Predicate) -> AllOf:
    """All conditions hold (Kleene AND)."""
    return AllOf(tuple(items))


def any_of(*items: Predicate) -> AnyOf:
    """At least one condition holds (Kleene OR)."""
    return AnyOf(tuple(items))


def first_of(*items: Predicate) -> FirstOf:
    """The first known condition decides."""
    return FirstOf(tuple(items))


def not_(item: Predicate) -> Not:
    """Negation."""
    return Not(item)


def known(item: Predicate, *, missing: bool = False) -> Known:
    """Read unknown as ``missing``."""
    return Known(item, missing)


def present(column: str, ref: Ref = CURRENT) -> Present:
    """``column`` is available."""
    return Present(Value(column, ref))


def is_null(column: str, ref: Ref = CURRENT) -> Missing:
    """``column`` is not available."""
    return Missing(Value(column, ref))


def equals(column: str, val: str, ref: Ref = CURRENT) -> Equals:
    """Character column equals ``val``."""
    return Equals(column, val, ref)


def category_is(column: str, *values: str) -> CategoryIs:
    """Category column is one of ``values`` (null is False)."""
    return CategoryIs(column, tuple(values))


def flag(column: str, *, missing: bool | None = None) -> Flag:
    """Boolean column (null read as ``missing``)."""
    return Flag(column, missing)


for _cls in (
    Const,
    Value,
    Scaled,
    PctChange,
    AbsChange,
    Cmp,
    AllOf,
    AnyOf,
    FirstOf,
    Not,
    Known,
    Present,
    Missing,
    Equals,
    CategoryIs,
    Flag,
    Described,
    Waived,
    NearestMiss,
):
    _memo_methods(_cls)


# ------------------------------------------------------------ within-subject window helpers
#: Engine column with a 0-based integer subject (segment) id; frames are sorted by it.
SUBJECT_INDEX: Final = "__SID"


def seg_shift(expr: pl.Expr) -> pl.Expr:
    """Previous row's value within the same subject (null on a subject's first row)."""
    sid = pl.col(SUBJECT_INDEX)
    return pl.when(sid == sid.shift(1)).then(expr.shift(1))


def seg_forward_fill(expr: pl.Expr) -> pl.Expr:
    """Forward fill that never crosses into another subject (global fill + subject mask)."""
    sid = pl.col(SUBJECT_INDEX)
    src = pl.when(expr.is_not_null()).then(sid).forward_fill()
    return pl.when(src == sid).then(expr.forward_fill())


def seg_backward_fill(expr: pl.Expr) -> pl.Expr:
    """Backward fill that never crosses into another subject."""
    sid = pl.col(SUBJECT_INDEX)
    src = pl.when(expr.is_not_null()).then(sid).backward_fill()
    return pl.when(src == sid).then(expr.backward_fill())


def seg_fill(expr: pl.Expr) -> pl.Expr:
    """Carry a subject-level value to every row of the subject (forward, then backward)."""
    return seg_backward_fill(seg_forward_fill(expr))


def in_order(df: pl.DataFrame, keys: Sequence[str], descending: Sequence[bool]) -> bool:
    """Whether ``df`` is already sorted by ``keys`` (nulls last; ties in any order), so that
    a sort can be skipped (assessments usually arrive sorted by subject and date)."""
    if df.height < 2:
        return True
    after: pl.Expr = pl.lit(True)  # rows tied on every key are in order
    for key, desc in reversed(list(zip(keys, descending, strict=True))):
        a, b = pl.col(key), pl.col(key).shift(-1)
        before = (a > b) if desc else (a < b)
        lt = before.fill_null(False) | (a.is_not_null() & b.is_null())
        eq = (a == b).fill_null(False) | (a.is_null() & b.is_null())
        after = lt | (eq & after)
    return bool(df.select(after.head(df.height - 1).all()).item())
