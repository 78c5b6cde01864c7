"""One engine that applies any :class:`~plasmatrial.criteria.core.rules.RuleSet` to assessments.

Everything is vectorised polars: references are window functions over USUBJID sorted by ADT
(``cum_min``, ``forward_fill``, ``shift``), rule rows are compiled predicates, the winning row is
one ``when/then`` chain, and explanations are built with flat ``pl.format`` templates
(:func:`~plasmatrial.criteria.core.predicates.concat_text`) on the subset of rows each rule won. The best-response-so-far dependency (ruling R2) needs no scan: the response category of
an assessment depends only on its values and the baseline, so "best so far" is a shifted
cumulative maximum of its rank.

Output assembly (docs/decisions/0250-criteria-performance.md): each needed table's outcome rows are
built once (overall parameters reuse them by index), the output order is computed on a
rows x parameters index grid instead of sorting, and the key and constant columns are gathered
from the wide frame and from small per-outcome lookups. Round 2: tables that do not read each other
are evaluated and explained in parallel threads (:func:`_table_groups`), sub-expressions that an
explanation repeats are computed once per outcome (``predicates.SharedExprs``), and independent
derivations share one ``with_columns`` stage.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from plasmatrial.criteria.core.confirmation import confirm_response
from plasmatrial.criteria.core.predicates import (
    BASELINE_FLAG,
    SUBJECT_INDEX,
    DateTexts,
    Input,
    NearestMiss,
    Predicate,
    Ref,
    SharedExprs,
    blocking_missing,
    choosing,
    concat_text,
    date_json,
    end_choosing,
    end_sharing,
    in_order,
    nearest_misses,
    rounded_value_text,
    seg_forward_fill,
    seg_shift,
    shared_expr,
    sharing,
)
from plasmatrial.criteria.core.registry import get_rule_set
from plasmatrial.criteria.core.rules import OptionValue, Overall, Rule, RuleSet, RuleTable
from plasmatrial.criteria.core.wording import RATIO_COLUMNS, input_text, label
from plasmatrial.errors import RuleError
from plasmatrial.intake.analytes import ANALYTES

logger = logging.getLogger(__name__)

G: Final = "USUBJID"
KEYS: Final = ("USUBJID", "VISIT", "VISITNUM", "ADT", "ADY")
CHARACTER_COLUMNS: Final = ("SIFE", "UIFE", "INVLC")
BOOLEAN_COLUMNS: Final = ("HEARTFL", "KIDNEYFL", "LIVERFL", "IMIDFL", "DIURINC")
NUMERIC_COLUMNS: Final = (*(a.code for a in ANALYTES if a.kind != "character"), "ALP_ULN")
OUTPUT_COLUMNS: Final = (
    *KEYS,
    "PARAMCD",
    "AVALC",
    "RULEID",
    "RULESET",
    "RULESETVER",
    "RULESETOPT",
    "EXPLAIN",
    "INPUTS",
    "DOWNGRADE",
    "AT_BOUNDARY",
    "FLAGS",
    "CONFIRMED",
)
_IS_BL: Final = BASELINE_FLAG
_INWIN: Final = "__INWIN"
_POST: Final = "__POST"
_ROW: Final = "__ROW"
_CODE: Final = "__CODE"


# ------------------------------------------------------------------------------------ preparing
_KIND_DTYPES: Final[dict[str, pl.DataType]] = {
    "numeric": pl.Float64(),
    "character": pl.Utf8(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
}


def _standardise(assessments: pl.DataFrame, extra: Sequence[tuple[str, str]] = ()) -> pl.DataFrame:
    missing = [c for c in ("USUBJID", "ADT", "ABLFL") if c not in assessments.columns]
    if missing:
        raise RuleError(
            f"assessments: missing column(s) {', '.join(missing)}; "
            f"found {', '.join(assessments.columns)}"
        )
    exprs: list[pl.Expr] = [
        pl.col("USUBJID").cast(pl.Utf8),
        pl.col("ADT").cast(pl.Date),
        pl.col("ABLFL").cast(pl.Utf8),
    ]
    have = set(assessments.columns)
    typed: list[tuple[str, pl.DataType]] = [
        ("VISIT", pl.Utf8()),
        ("VISITNUM", pl.Float64()),
        ("ADY", pl.Int64()),
        *((c, pl.Float64()) for c in NUMERIC_COLUMNS),
        *((c, pl.Utf8()) for c in CHARACTER_COLUMNS),
        *((c, pl.Boolean()) for c in BOOLEAN_COLUMNS),
        *((c, _KIND_DTYPES[k]) for c, k in extra if c not in NUMERIC_COLUMNS),
    ]
    for name, dtype in typed:
        if name in have:
            col = pl.col(name)
            if dtype == pl.Utf8:
                col = col.cast(pl.Utf8).str.to_uppercase()
            exprs.append(col.cast(dtype, strict=False).alias(name))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    df = assessments.select(exprs).with_columns(
        (pl.col("ABLFL") == "Y").fill_null(False).alias(_IS_BL)
    )
    order = [G, "ADT", _IS_BL, "VISITNUM", "VISIT"]
    descending = [False, False, True, False, False]
    if not in_order(df, order, descending):
        df = df.sort(order, descending=descending, nulls_last=True)
    first = (pl.col(G) != pl.col(G).shift(1)).fill_null(True)
    df = df.with_columns(
        (first.cast(pl.Int64).cum_sum() - 1).cast(pl.Int64).alias(SUBJECT_INDEX),
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW),
    )
    bl_seen = seg_forward_fill(pl.when(pl.col(_IS_BL)).then(pl.lit(True)))
    return df.with_columns(
        bl_seen.fill_null(False).alias(_INWIN),
        seg_forward_fill(pl.when(pl.col(_IS_BL)).then(pl.col("ADT"))).alias("BL__ADT"),
    ).with_columns((pl.col(_INWIN) & ~pl.col(_IS_BL)).alias(_POST))


def _running_min(
    vals: np.ndarray, flat: np.ndarray, rows: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Running minimum within subject (current row included) and the row index attaining it.

    Values are laid out as a (subjects x positions) grid (``flat`` = subject x width + position;
    empty cells +inf) and the minimum is carried along positions with one
    ``np.minimum.accumulate``. The attaining row is the last position where the running minimum
    strictly fell (ties keep the earliest), carried with ``np.maximum.accumulate``.
    """
    if not len(vals):
        return np.empty(0), np.empty(0, dtype=np.int64)
    grid = np.full(shape, np.inf)
    finite = ~np.isnan(vals)
    grid.ravel()[flat[finite]] = vals[finite]
    run = np.minimum.accumulate(grid, axis=1)
    prev = np.empty_like(run)
    prev[:, 0] = np.inf
    prev[:, 1:] = run[:, :-1]
    cols = np.broadcast_to(np.arange(shape[1]), shape)
    at = np.maximum.accumulate(np.where(grid < prev, cols, -1), axis=1)
    arg = np.where(at >= 0, np.take_along_axis(rows, np.maximum(at, 0), axis=1), -1)
    v = run.ravel()[flat]
    i = arg.ravel()[flat]
    return np.where(np.isinf(v), np.nan, v), i


def _add_running_mins(df: pl.DataFrame, tmps: list[str]) -> pl.DataFrame:
    """Add ``<tmp>_v`` (running minimum within subject) and ``<tmp>_d`` (its date) columns."""
    sid = df[SUBJECT_INDEX].to_numpy()
    pos = df["__POS"].to_numpy()
    n_seg = int(sid[-1]) + 1 if len(sid) else 0
    width = int(pos.max()) + 1 if len(pos) else 0
    flat = sid * width + pos
    rows = np.full((n_seg, width), -1, dtype=np.int64)
    rows.ravel()[flat] = np.arange(len(sid))
    adt = df["ADT"]
    out: list[pl.Series] = []
    for tmp in tmps:
        v, i = _running_min(df[tmp].cast(pl.Float64).to_numpy(), flat, rows, (n_seg, width))
        dates = adt.gather(pl.Series(np.where(i < 0, 0, i)))
        out.append(pl.Series(tmp + "_v", v).fill_nan(None))
        out.append(
            dates.set(pl.Series(i < 0), None).alias(tmp + "_d")
            if len(i)
            else dates.alias(tmp + "_d")
        )
    return df.with_columns(out)


def _table_predicates(t: RuleTable) -> list[Predicate]:
    preds = [r.when for r in t.all_rules()]
    preds.extend(f.when for f in t.flags)
    return preds


def _refs_of(t: RuleTable) -> list[tuple[str, Ref]]:
    found: dict[tuple[str, Ref], None] = {}
    for p in _table_predicates(t):
        for node in p.walk():
            for i in node.inputs():
                if i.ref.kind != "current":
                    found[(i.column, i.ref)] = None
    return list(found)


def _shift(expr: pl.Expr) -> pl.Expr:
    return seg_shift(expr)


def _ref_sources(col: str, ref: Ref, rs: RuleSet) -> list[tuple[str, pl.Expr]]:
    """Masked value columns whose subject-wise running minimum the reference needs."""
    c, name = pl.col(col), ref.column(col)
    post, inwin = pl.col(_POST), pl.col(_INWIN)
    if ref.kind in ("nadir", "nadir_to_date"):
        return [(f"__m_{name}", pl.when(inwin).then(c))]
    if ref.kind == "nadir_confirmed":
        m = pl.when(post).then(c)
        prev = seg_shift(m)
        pair = pl.when(m.is_not_null() & prev.is_not_null()).then(pl.max_horizontal(m, prev))
        return [(f"__m_{name}", pair)]
    if ref.kind == "nadir_while":
        return [(f"__m_{name}", pl.when(post & (pl.col(str(ref.param)) == ref.category)).then(c))]
    order = rs.table(str(ref.param)).order
    rank_col = pl.col(f"{ref.param}__RANK")
    out = [
        (f"__m_{name}{k}", pl.when(post & (rank_col == len(order) - k)).then(c))
        for k in range(len(order))
    ]
    return [*out, (f"__m_{name}nadir", pl.when(inwin).then(c))]


def _ref_finals(col: str, ref: Ref, rs: RuleSet) -> list[pl.Expr]:
    """Reference value and date from the running minima (strictly before, or to date)."""
    name, dname = ref.column(col), ref.date_column(col)
    v, d = pl.col(f"__m_{name}_v"), pl.col(f"__m_{name}_d")
    if ref.kind == "nadir_to_date":
        return [v.alias(name), d.alias(dname)]
    if ref.kind in ("nadir", "nadir_while"):
        return [_shift(v).alias(name), _shift(d).alias(dname)]
    if ref.kind == "nadir_confirmed":
        pair_v, pair_d = _shift(v), _shift(d)
        bl_v = seg_forward_fill(pl.when(pl.col(_IS_BL)).then(pl.col(col)))
        use_pair = pair_v.is_not_null() & ((pair_v < bl_v) | bl_v.is_null())
        return [
            pl.when(use_pair).then(pair_v).otherwise(bl_v).alias(name),
            pl.when(use_pair).then(pair_d).otherwise(pl.col("BL__ADT")).alias(dname),
        ]
    order = rs.table(str(ref.param)).order
    best = pl.col(f"{ref.param}__BESTRANK")
    v_chain: pl.Expr = _shift(pl.col(f"__m_{name}nadir_v"))
    d_chain: pl.Expr = _shift(pl.col(f"__m_{name}nadir_d"))
    for k in range(len(order)):
        hit = best == len(order) - k
        v_chain = pl.when(hit).then(_shift(pl.col(f"__m_{name}{k}_v"))).otherwise(v_chain)
        d_chain = pl.when(hit).then(_shift(pl.col(f"__m_{name}{k}_d"))).otherwise(d_chain)
    return [v_chain.alias(name), d_chain.alias(dname)]


def _add_refs(df: pl.DataFrame, refs: list[tuple[str, Ref]], rs: RuleSet) -> pl.DataFrame:
    """Add reference value and date columns (masked sources, running minima, final values)."""
    sources: list[pl.Expr] = []
    running: list[str] = []
    finals: list[pl.Expr] = []
    for col, ref in refs:
        name = ref.column(col)
        if name in df.columns:
            continue
        if ref.kind == "baseline":
            first = seg_forward_fill(pl.when(pl.col(_IS_BL)).then(pl.col(col)))
            sources += [first.alias(name), pl.col("BL__ADT").alias(ref.date_column(col))]
            continue
        for tmp, src in _ref_sources(col, ref, rs):
            sources.append(src.alias(tmp))
            running.append(tmp)
        finals += _ref_finals(col, ref, rs)
    if sources:
        df = df.with_columns(sources)
    if running:
        df = df.with_columns(_position())
        df = _add_running_mins(df, running)
    if finals:
        df = df.with_columns(finals)
    df = df.drop([c for c in df.columns if c.startswith("__m_")])
    return df


def _position() -> pl.Expr:
    """0-based position of the row within its subject."""
    idx = pl.int_range(pl.len(), dtype=pl.Int64)
    start = seg_forward_fill(
        pl.when(pl.col(SUBJECT_INDEX) != pl.col(SUBJECT_INDEX).shift(1).fill_null(-1)).then(idx)
    )
    return (idx - start).alias("__POS")


def _winner_expr(t: RuleTable) -> pl.Expr:
    P = t.paramcd
    expr: pl.Expr = pl.lit(len(t.rows), dtype=pl.Int16)
    for i in range(len(t.rows) - 1, -1, -1):
        expr = pl.when(pl.col(f"{P}__V{i}")).then(pl.lit(i, dtype=pl.Int16)).otherwise(expr)
    if t.population is not None:
        gate = t.population.when.to_expr().fill_null(False)
        expr = pl.when(gate).then(expr).otherwise(pl.lit(-1, dtype=pl.Int16))
    return expr


_CSE: Final = pl.QueryOptFlags.none()
_CSE.comm_subexpr_elim = True


def _with_cse(df: pl.DataFrame, exprs: list[pl.Expr]) -> pl.DataFrame:
    """``df.with_columns(exprs)`` with polars' common-subexpression elimination."""
    return df.lazy().with_columns(exprs).collect(engine="in-memory", optimizations=_CSE)


def _evaluate_table(df: pl.DataFrame, t: RuleTable, rs: RuleSet) -> pl.DataFrame:
    P = t.paramcd
    df = _add_refs(df, _refs_of(t), rs)
    # the rows' values, their threshold-boundary tests and the flags in one CSE stage: the
    # boundary tests and flags repeat the rounded terms the predicates compute
    raw_b: list[tuple[int, str]] = []
    stage = [r.when.to_expr().alias(f"{P}__V{i}") for i, r in enumerate(t.rows)]
    if t.population is not None and (pb := t.population.when.boundary()) is not None:
        stage.append(pb.fill_null(False).alias(f"{P}__B_pop"))
        raw_b.append((-1, f"{P}__B_pop"))
    for i, r in enumerate(t.rows):
        b = r.when.boundary()
        if b is not None:
            stage.append(b.fill_null(False).alias(f"{P}__B{i}"))
            raw_b.append((i, f"{P}__B{i}"))
    flag_cols = [f"{P}__F{j}" for j in range(len(t.flags))]
    stage += [
        f.when.to_expr().fill_null(False).alias(c) for f, c in zip(t.flags, flag_cols, strict=True)
    ]
    df = _with_cse(df, stage)
    df = _add_choices(df.with_columns(_winner_expr(t).alias(f"{P}__W")), t)
    w = pl.col(f"{P}__W")
    mapping = {-1: "NE", len(t.rows): "NE"} | {i: r.category for i, r in enumerate(t.rows)}
    bparts = [pl.col(c) if i < 0 else pl.col(c) & (w >= i) for i, c in raw_b]
    boundary = pl.any_horizontal(bparts) if bparts else pl.lit(False)
    flags = (
        pl.concat_str(
            [
                pl.when(pl.col(c)).then(pl.lit(f.name))
                for f, c in zip(t.flags, flag_cols, strict=True)
            ],
            separator=",",
            ignore_nulls=True,
        )
        if t.flags
        else pl.lit(None, dtype=pl.Utf8)
    )
    unknown = [
        pl.col(f"{P}__V{i}").is_null().alias(f"{P}__U{i}")
        for i, r in enumerate(t.rows)
        if r.note_missing
    ]
    df = df.with_columns(
        *unknown,
        # the category by position (w runs from -1 to len(rows))
        pl.lit(pl.Series([mapping[i] for i in range(-1, len(t.rows) + 1)], dtype=pl.Utf8))
        .gather(w.cast(pl.Int32) + 1)
        .alias(P),
        boundary.alias(f"{P}__BOUNDARY"),
        pl.when(flags == "").then(None).otherwise(flags).alias(f"{P}__FLAGS"),
    ).drop(*(c for _, c in raw_b), *flag_cols)
    if t.order:
        rank_map = {cat: len(t.order) - k for k, cat in enumerate(t.order)}
        rank = pl.when(pl.col(_POST)).then(
            pl.col(P).replace_strict(rank_map, default=0, return_dtype=pl.Int64)
        )
        # Subject-wise running maximum of small integer ranks, exactly, by a subject offset.
        offset = pl.col(SUBJECT_INDEX) * 16
        running = (offset + pl.col(f"{P}__RANK").fill_null(0)).cum_max() - offset
        df = df.with_columns(rank.alias(f"{P}__RANK")).with_columns(
            _shift(running).alias(f"{P}__BESTRANK")
        )
        inv = {v: k for k, v in rank_map.items()} | {0: None}
        df = df.with_columns(
            pl.col(f"{P}__BESTRANK")
            .replace_strict(inv, default=None, return_dtype=pl.Utf8)
            .alias(f"{P}__BEST")
        )
    return df


def _add_choices(df: pl.DataFrame, t: RuleTable) -> pl.DataFrame:
    """Add, per "nothing happened" row ``i`` of ``t``, the column :func:`_choice_column` with
    the alternative its explanation names (:meth:`NearestMiss.choice`; see :func:`_outcome`).

    Computed only where row ``i`` wins at the table's timepoint (the rows it explains; -1
    elsewhere): the alternatives' closeness costs several times their truths.
    """
    P = t.paramcd
    at = pl.col(_IS_BL) if t.timepoint == "baseline" else pl.col(_POST)
    added = []
    for i, r in enumerate(t.rows):
        nm = _partition_by(r)
        if nm is None:
            continue
        mask = df.select((at & (pl.col(f"{P}__W") == i)).fill_null(False)).to_series()
        names = [f"__S{j}" for j in range(len(nm.alternatives))]
        scores = [e.alias(n) for e, n in zip(nm.scores(), names, strict=True)]
        roots = dict.fromkeys([f"{P}__W", *(n for e in scores for n in e.meta.root_names())])
        picked = (
            df.select(list(roots))
            .filter(mask)
            .lazy()
            .select(scores)
            .collect(engine="in-memory", optimizations=_CSE)
            .with_columns(pl.max_horizontal(names).alias("__TOP"))
            .select(nm.choice([pl.col(n) for n in names], pl.col("__TOP")))
            .to_series()
            .to_numpy()
        )
        full = np.full(df.height, -1, dtype=np.int8)
        full[np.flatnonzero(mask.to_numpy())] = picked
        added.append(pl.Series(_choice_column(P, i), full))
    return df.with_columns(added) if added else df


def _depends_on(t: RuleTable, names: set[str]) -> set[str]:
    deps: set[str] = set()
    for p in _table_predicates(t):
        for node in p.walk():
            for i in node.inputs():
                base = i.column.split("__")[0]
                if base in names:
                    deps.add(base)
                if i.ref.param is not None:
                    deps.add(i.ref.param)
    return deps


def _needed_tables(rule_set: RuleSet, wanted: Sequence[str]) -> set[str]:
    names = {t.paramcd for t in rule_set.tables}
    need = set(wanted)
    for o in rule_set.overall:
        if o.paramcd in need:
            need |= {o.progression, o.response}
    for t in reversed(rule_set.tables):
        if t.paramcd in need:
            need |= _depends_on(t, names)
    return need


def prepare(
    assessments: pl.DataFrame,
    rule_set: RuleSet,
    *,
    parameters: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Wide frame with derived inputs, references and per-table winners (engine internals).

    Parameters
    ----------
    assessments:
        Wide assessment frame (see :mod:`plasmatrial.intake.analytes`).
    rule_set:
        The rule set to apply.
    parameters:
        Only evaluate the tables these parameters need (default: all).

    Returns
    -------
    pl.DataFrame
        One row per input row, sorted by USUBJID and ADT, with ``<PARAMCD>`` category columns.
    """
    df = _base(assessments, rule_set)
    need = (
        {t.paramcd for t in rule_set.tables}
        if parameters is None
        else _needed_tables(rule_set, parameters)
    )
    return _evaluate_tables(df, [t for t in rule_set.tables if t.paramcd in need], rule_set)


def _base(assessments: pl.DataFrame, rule_set: RuleSet) -> pl.DataFrame:
    """Standardised frame with the rule set's derived inputs (before any table)."""
    df = _standardise(assessments, rule_set.columns)
    for stage in _derivation_stages(rule_set):
        df = _with_cse(df, stage)
    return df


def _derivation_stages(rule_set: RuleSet) -> list[list[pl.Expr]]:
    """The derivations in order, batched into ``with_columns`` stages (evaluated in parallel).

    A derivation starts a new stage when it reads or rewrites a column derived in the current
    stage; one that reads columns by selector (wildcard, regex: not listable) gets a stage of its
    own. So every derivation sees exactly the columns it saw when they were applied one at a time.
    """
    stages: list[list[pl.Expr]] = []
    written: set[str] = set()
    alone = False
    for d in rule_set.derivations:
        expr = d.build()
        reads = set(expr.meta.root_names())
        opaque = "cs." in str(expr)
        if not stages or alone or opaque or reads & written or d.column in written:
            stages.append([])
            written = set()
        stages[-1].append(expr.alias(d.column))
        written.add(d.column)
        alone = opaque
    return stages


def _evaluate_tables(df: pl.DataFrame, tables: Sequence[RuleTable], rs: RuleSet) -> pl.DataFrame:
    """Evaluate ``tables`` in order (each after the tables it reads)."""
    for t in tables:
        df = _evaluate_table(df, t, rs)
    return df


def _table_groups(rs: RuleSet, need: set[str]) -> list[list[RuleTable]]:
    """The needed tables in independent groups: a table shares a group with every table it reads
    and with the other table of an overall parameter; each group keeps the rule set's order."""
    names = {t.paramcd for t in rs.tables}
    parent = {p: p for p in need}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for t in rs.tables:
        if t.paramcd in need:
            for d in _depends_on(t, names):
                if d in need and d != t.paramcd:
                    union(t.paramcd, d)
    for o in rs.overall:
        if o.progression in need and o.response in need:
            union(o.progression, o.response)
    groups: dict[str, list[RuleTable]] = {}
    for t in rs.tables:
        if t.paramcd in need:
            groups.setdefault(find(t.paramcd), []).append(t)
    return list(groups.values())


# ------------------------------------------------------------------------------------- output
def _input_names(inputs: Sequence[Input]) -> list[str]:
    names: dict[str, None] = {}
    for i in inputs:
        names[i.ref.column(i.column)] = None
        if i.ref.kind != "current":
            names[i.ref.date_column(i.column)] = None
    return list(names)


def _json_value(name: str, schema: pl.Schema) -> pl.Expr:
    """JSON text of one column's value, exactly as ``struct.json_encode`` writes it.

    Floats: shortest round-trip text (``cast(Utf8)`` equals the JSON writer's text for finite
    values; NaN and infinities are ``null``), dates through :func:`date_json`, Booleans as
    ``true``/``false``; strings and anything else go through the JSON writer itself (escaping).
    """
    c = pl.col(name)
    dtype = schema.get(name)
    if dtype == pl.Float64 or dtype == pl.Float32:
        # no float noise (decision 0206): 4.1000000000000005 is written 4.1
        base = name.partition("__")[0]
        if base in RATIO_COLUMNS:
            return input_text(base, c)
        return input_text(base, c, rounded_value_text(name))
    if dtype == pl.Date:
        return date_json(name)
    if dtype == pl.Boolean:
        return (
            pl.when(c.is_null())
            .then(pl.lit("null"))
            .when(c)
            .then(pl.lit("true"))
            .otherwise(pl.lit("false"))
        )
    prefix = len(json.dumps({name: None}, ensure_ascii=False, separators=(",", ":"))) - 5
    return pl.struct(c).struct.json_encode().str.slice(prefix).str.strip_suffix("}")


def _json(inputs: Sequence[Input], schema: pl.Schema) -> pl.Expr:
    names = _input_names(inputs)
    if not names:
        return pl.lit("{}")
    parts: list[str | pl.Expr] = []
    for j, n in enumerate(names):
        key = json.dumps(n, ensure_ascii=False)
        parts += [("{" if j == 0 else ",") + key + ":", _json_value(n, schema)]
    return concat_text(*parts, "}")


def _named(conds: dict[str, pl.Expr]) -> pl.Expr:
    """Comma-separated words for the columns whose condition holds in each row ('' when none
    does, or when there are none: ``concat_str`` of no inputs is an error)."""
    if not conds:
        return pl.lit("")
    return pl.concat_str(
        [pl.when(c).then(pl.lit(label(name))) for name, c in conds.items()],
        separator=", ",
        ignore_nulls=True,
    )


def _missing_list(r: Rule, unknown: pl.Expr) -> pl.Expr:
    """Words for the inputs whose absence leaves rule ``r`` unknown where ``unknown`` holds
    (decision 0206)."""
    named = _named(blocking_missing(r.when, unknown))
    return pl.when(named == "").then(pl.lit(_UNDEFINED)).otherwise(named)


#: Why a rule is unknown although no input is missing (a percentage of a reference ≤ 0).
_UNDEFINED: Final = "a percentage change from a reference ≤ 0 is not defined"


def _note(r: Rule, unknown: pl.Expr) -> pl.Expr:
    return concat_text(f"{r.category} not assessable ({r.id}): missing ", _missing_list(r, unknown))


def _downgrade(t: RuleTable, upto: int) -> pl.Expr:
    # ``<P>__U<i>`` is the materialised "row i is unknown" column (see _evaluate_table).
    parts = [
        pl.when(pl.col(f"{t.paramcd}__U{i}")).then(_note(r, pl.col(f"{t.paramcd}__U{i}")))
        for i, r in enumerate(t.rows[:upto])
        if r.note_missing
    ]
    if not parts:
        return pl.lit(None, dtype=pl.Utf8)
    s = pl.concat_str(parts, separator="; ", ignore_nulls=True)
    return pl.when(s == "").then(None).otherwise(s)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """One possible result of a table: the (AVALC, RULEID) its rows carry."""

    category: str
    rule_id: str


def _outcome(
    lf: pl.LazyFrame,
    t: RuleTable,
    k: int,
    *,
    code: int,
    schema: pl.Schema,
    rows: pl.Expr | None = None,
    dates: DateTexts | None = None,
) -> pl.LazyFrame:
    """Rows of one outcome ``k`` of table ``t`` with their provenance text (only the ``rows``
    that the output reads, if given).

    Only the per-row columns are built here (row index, outcome code, EXPLAIN, INPUTS,
    DOWNGRADE, AT_BOUNDARY, FLAGS, CONFIRMED); keys and the constant columns of an outcome are
    attached once, after all outcomes are stacked (see :func:`_assemble`). Sub-expressions that
    the explanations repeat are computed once, as temporary columns (:class:`SharedExprs`).
    """
    nm = _partition_by(t.rows[k]) if 0 <= k < len(t.rows) else None
    if nm is None:
        return _outcome_part(lf, t, k, code=code, schema=schema, rows=rows, dates=dates)
    # a "nothing happened" row: its rows are explained per nearest alternative, so that each
    # row's text is built for the alternative it names only (decision 0251); the stacked rows'
    # order does not matter (_assemble places them by row index)
    choice = pl.col(_choice_column(t.paramcd, k))
    parts = []
    for j in range(-1, len(nm.alternatives)):
        only = choice == j if rows is None else rows & (choice == j)
        token = choosing({nm: j})
        try:
            parts.append(_outcome_part(lf, t, k, code=code, schema=schema, rows=only, dates=dates))
        finally:
            end_choosing(token)
    return pl.concat(parts, how="vertical")


def _partition_by(rule: Rule) -> NearestMiss | None:
    """The nearest-miss wrapper whose choice splits the rows of ``rule`` (the first one)."""
    found = nearest_misses(rule.when)
    return found[0] if found and found[0].alternatives else None


def _choice_column(paramcd: str, i: int) -> str:
    """Wide-frame column with :meth:`NearestMiss.choice` of row ``i``'s wrapper."""
    return f"{paramcd}__N{i}"


def _outcome_part(
    lf: pl.LazyFrame,
    t: RuleTable,
    k: int,
    *,
    code: int,
    schema: pl.Schema,
    rows: pl.Expr | None,
    dates: DateTexts | None,
) -> pl.LazyFrame:
    """:func:`_outcome` for the ``rows`` given (every row of the outcome if ``None``)."""
    shared = SharedExprs(dates)
    token = sharing(shared)
    try:
        _outcome_exprs(t, k, code=code, schema=schema)  # counting pass
        shared.counting = False
        filt, exprs = _outcome_exprs(t, k, code=code, schema=schema)
    finally:
        end_sharing(token)
    if rows is not None:
        filt = filt & rows
    names = shared.names()
    needed = dict.fromkeys(r for e in [filt, *exprs] for r in e.meta.root_names() if r not in names)
    needed.update(dict.fromkeys(sorted(shared.roots())))
    return shared.apply(lf.select(list(needed)).filter(filt)).select(exprs)


def _outcome_exprs(
    t: RuleTable, k: int, *, code: int, schema: pl.Schema
) -> tuple[pl.Expr, list[pl.Expr]]:
    """Row filter and output expressions of outcome ``k`` of table ``t``."""
    P = t.paramcd
    w = pl.col(f"{P}__W")
    at = pl.col(_IS_BL) if t.timepoint == "baseline" else pl.col(_POST)
    filt = at & (w == k)
    n = len(t.rows)
    if k == -1 and t.population is not None:
        cat = "NE"
        explain = concat_text(
            f"NE: not evaluable ({t.population.id}): ", t.population.when.explain()
        )
        inputs = _json(t.population.requires, schema)
        dgr: pl.Expr = pl.lit(None, dtype=pl.Utf8)
    elif k == n:
        cat = "NE"
        dgr = shared_expr(("downgrade", P, n), lambda: _downgrade(t, n))
        blocking: dict[str, list[pl.Expr]] = {}
        for i, r in enumerate(t.rows):
            for name, cond in blocking_missing(r.when, pl.col(f"{P}__V{i}").is_null()).items():
                blocking.setdefault(name, []).append(cond)
        miss = _named({name: pl.any_horizontal(c) for name, c in blocking.items()})
        explain = pl.concat_str(
            [
                pl.lit("NE: no category could be established"),
                pl.when(miss != "").then(concat_text(" (missing: ", miss, ")")),
                concat_text("; ", dgr),
            ],
            ignore_nulls=True,
        )
        inputs = _json([i for r in t.rows for i in r.requires], schema)
    else:
        rule = t.rows[k]
        cat = rule.category
        dgr = shared_expr(("downgrade", P, k), lambda: _downgrade(t, k))
        explain = pl.concat_str(
            [
                pl.lit(f"{cat}: "),
                rule.when.explain_as(True),
                concat_text(" [downgraded: ", dgr, "]"),
            ],
            ignore_nulls=True,
        )
        inputs = _json(rule.requires, schema)
    exprs = [
        pl.col(_ROW),
        pl.lit(code, dtype=pl.Int32).alias(_CODE),
        explain.alias("EXPLAIN"),
        inputs.alias("INPUTS"),
        dgr.alias("DOWNGRADE"),
        pl.col(f"{P}__BOUNDARY").alias("AT_BOUNDARY"),
        pl.col(f"{P}__FLAGS").alias("FLAGS"),
        pl.lit(None, dtype=pl.Boolean).alias("CONFIRMED"),  # set by _confirm_parameters
    ]
    return filt, exprs


def _outcome_of(t: RuleTable, k: int) -> _Outcome:
    """The (AVALC, RULEID) of outcome ``k`` of table ``t`` (see :func:`_outcome`)."""
    if k == -1 and t.population is not None:
        return _Outcome("NE", t.population.id)
    if k == len(t.rows):
        return _Outcome("NE", t.ne_id)
    return _Outcome(t.rows[k].category, t.rows[k].id)


def _table_outcomes(t: RuleTable) -> list[int]:
    return ([-1] if t.population is not None else []) + list(range(len(t.rows) + 1))


def _assemble(
    keys: pl.DataFrame,
    rows_box: list[pl.DataFrame],
    outcomes: list[_Outcome],
    code_table: np.ndarray,
    sources: list[list[tuple[int, np.ndarray | None]]],
    paramcds: list[str],
    rs: RuleSet,
    *,
    sort: bool,
) -> pl.DataFrame:
    """Interleave the stacked table rows into the output, sorted by row then parameter.

    ``rows`` holds every evaluated row of every needed table once (row index ``__ROW``, outcome
    code ``__CODE``, per-row provenance columns); ``code_table`` maps an outcome code to its
    table. ``sources[p]`` lists, for
    output parameter ``p``, the tables it takes rows from with an optional Boolean mask over wide
    rows (overall parameters: progression where it is a progression, else the response). The
    output position of every (wide row, parameter) pair is computed directly (no sort), and each
    column is gathered once. ``rows_box`` holds the only reference to ``rows``, so that it is
    freed as soon as it is gathered (peak memory).
    """
    rows = rows_box.pop()
    n_wide = keys.height
    itype: type[np.signedinteger] = np.int32 if max(n_wide, rows.height) < 2**31 else np.int64
    row = rows.get_column(_ROW).rechunk().to_numpy().astype(itype)
    code = rows.get_column(_CODE).rechunk().to_numpy().astype(itype)
    table_of = code_table.astype(np.int16)[code]
    # position of each (table, wide row) in the stacked rows (-1: the table emits no row there)
    where: dict[int, np.ndarray] = {}
    for ti in sorted({t for src in sources for t, _ in src}):
        pos = np.full(n_wide, -1, dtype=itype)
        sel = np.flatnonzero(table_of == ti).astype(itype)
        pos[row[sel]] = sel
        where[ti] = pos
    del table_of
    grid = np.full((n_wide, len(paramcds)), -1, dtype=itype)
    for j, src in enumerate(sources):
        col = grid[:, j]
        for ti, mask in src:
            pos = where[ti]
            np.copyto(col, pos, where=(col < 0) if mask is None else (mask & (col < 0)))
    del where
    flat = grid if sort else grid.T
    take = flat.ravel()
    keep = take >= 0
    idx = take[keep]
    pgrid = np.broadcast_to(np.arange(len(paramcds), dtype=np.uint32), grid.shape)
    pnum = pl.Series((pgrid if sort else pgrid.T).ravel()[keep])
    del grid, pgrid, flat, take, keep
    kidx = pl.Series(row[idx])
    code_s = pl.Series(code[idx])
    gidx = pl.Series(idx)
    del row, code, idx

    def constant_columns() -> pl.DataFrame:
        key_rows = keys[kidx]
        consts = pl.DataFrame(
            {
                "PARAMCD": pl.Series(paramcds, dtype=pl.Utf8).gather(pnum),
                "AVALC": pl.Series([o.category for o in outcomes], dtype=pl.Utf8).gather(code_s),
                "RULEID": pl.Series([o.rule_id for o in outcomes], dtype=pl.Utf8).gather(code_s),
            }
        ).with_columns(
            pl.lit(rs.name).alias("RULESET"),
            pl.lit(rs.version).alias("RULESETVER"),
            pl.lit(rs.options_text()).alias("RULESETOPT"),
        )
        return pl.concat([key_rows, consts], how="horizontal")

    # Every provenance column is gathered once, from one chunk (gathering across hundreds of
    # chunks is several times slower), and released from the stacked rows at once (peak
    # memory); two columns at a time, beside the key and constant columns.
    # (columns are taken one by one: a frame-level ``drop`` or ``select`` would first align the
    # columns' chunks, copying every text column, since the stacked outcomes' chunks differ)
    names = [n for n in rows.columns if n not in (_ROW, _CODE)]
    cols: list[pl.Series | None] = [rows.get_column(n) for n in names]
    del rows

    def gather(i: int) -> pl.Series:
        col = cols[i]
        assert col is not None
        cols[i] = None
        return col.rechunk().gather(gidx)

    with ThreadPoolExecutor(max_workers=2) as pool:
        head = pool.submit(constant_columns)
        tail = list(pool.map(gather, range(len(names))))
        front = head.result()
    return pl.concat([front, pl.DataFrame(tail)], how="horizontal").select(OUTPUT_COLUMNS)


@dataclass(frozen=True, slots=True)
class _OutputPlan:
    """Which table rows the wanted parameters take, fixed before any table is evaluated.

    ``codes[paramcd]`` lists ``(k, code)`` for every outcome ``k`` of an output table; ``sources``
    lists, per wanted parameter, ``(table index, mask)`` where the mask names the overall
    parameter whose progression mask selects the rows (``"+P"``: where it is a progression,
    ``"-P"``: elsewhere) or is ``None`` (every row).
    """

    outcomes: list[_Outcome]
    code_table: np.ndarray
    codes: dict[str, list[tuple[int, int]]]
    sources: list[list[tuple[int, str | None]]]
    #: tables whose rows are read only through overall parameters: the rows they are read at
    #: (see :meth:`rows_read`); a table absent here is read at every row
    partial: dict[str, list[tuple[Overall, bool]]]

    def rows_read(self, paramcd: str) -> pl.Expr | None:
        """Filter of the rows of table ``paramcd`` that the output reads (``None``: all).

        A table that is not itself wanted is read by an overall parameter only where its
        progression table shows a progression (the progression table's rows) or does not (the
        response table's rows); its other rows are neither explained nor gathered.
        """
        uses = self.partial.get(paramcd)
        if uses is None:
            return None
        parts = []
        for o, is_progression in uses:
            prog = _is_progression(o)
            parts.append(prog if is_progression else prog.not_())
        return pl.any_horizontal(parts)


def _is_progression(o: Overall) -> pl.Expr:
    """Where overall parameter ``o`` takes its progression table's row (ruling R3)."""
    return pl.col(o.progression).is_in(list(o.progression_categories)).fill_null(False)


def _output_plan(rs: RuleSet, wanted: list[str]) -> _OutputPlan:
    outcomes: list[_Outcome] = []
    code_table: list[int] = []
    codes: dict[str, list[tuple[int, int]]] = {}

    def table_rows(t: RuleTable) -> int:
        """Give every outcome of ``t`` a code once; the table's index."""
        if t.paramcd not in codes:
            ti = len(codes)
            codes[t.paramcd] = []
            for k in _table_outcomes(t):
                codes[t.paramcd].append((k, len(outcomes)))
                outcomes.append(_outcome_of(t, k))
                code_table.append(ti)
        return list(codes).index(t.paramcd)

    sources: list[list[tuple[int, str | None]]] = []
    partial: dict[str, list[tuple[Overall, bool]]] = {}
    for p in wanted:
        overall = [o for o in rs.overall if o.paramcd == p]
        if overall:
            o = overall[0]
            sources.append(
                [
                    (table_rows(rs.table(o.progression)), "+" + o.paramcd),
                    (table_rows(rs.table(o.response)), "-" + o.paramcd),
                ]
            )
            partial.setdefault(o.progression, []).append((o, True))
            partial.setdefault(o.response, []).append((o, False))
        else:
            sources.append([(table_rows(rs.table(p)), None)])
    for p in wanted:
        partial.pop(p, None)
    return _OutputPlan(outcomes, np.array(code_table, dtype=np.int64), codes, sources, partial)


def _group_rows(
    base: pl.DataFrame,
    tables: list[RuleTable],
    rs: RuleSet,
    plan: _OutputPlan,
    dates: DateTexts,
) -> tuple[pl.DataFrame | None, dict[str, np.ndarray]]:
    """Evaluate one independent group of tables and collect its output tables' rows.

    Returns the stacked outcome rows (``None`` if no output table is in the group) and, for
    every overall parameter whose progression table is in the group, its progression mask.
    """
    # one chunk per column: ``pl.format`` (see :func:`concat_text`) misreads inputs whose chunks
    # are not aligned (polars 2.1 panics with "i < self.len()")
    wide = _evaluate_tables(base, tables, rs).rechunk()
    lf = wide.lazy()
    schema = wide.schema
    frames = [
        _outcome(lf, t, k, code=code, schema=schema, rows=plan.rows_read(t.paramcd), dates=dates)
        for t in tables
        for k, code in plan.codes.get(t.paramcd, [])
    ]
    names = {t.paramcd for t in tables}
    masks = {
        o.paramcd: wide.select(_is_progression(o)).to_series().to_numpy()
        for o in rs.overall
        if o.progression in names
    }
    if not frames:
        return None, masks
    rows = pl.concat(frames, how="vertical").collect(optimizations=pl.QueryOptFlags.none())
    return rows, masks


def _table_rows(
    base: pl.DataFrame, rs: RuleSet, wanted: list[str]
) -> tuple[pl.DataFrame, list[_Outcome], np.ndarray, list[list[tuple[int, np.ndarray | None]]]]:
    """Evaluate the outcome rows of every table the wanted parameters read (each table once).

    Independent groups of tables (see :func:`_table_groups`) are evaluated and explained in
    parallel threads (polars and numpy release the GIL), largest group first.
    """
    plan = _output_plan(rs, wanted)
    dates = DateTexts.of(base.get_column("ADT"))
    need = _needed_tables(rs, wanted)
    groups = _table_groups(rs, need)
    groups.sort(key=len, reverse=True)
    results: list[tuple[pl.DataFrame | None, dict[str, np.ndarray]]] = []
    if len(groups) > 1:
        try:
            with ThreadPoolExecutor(max_workers=min(len(groups), _GROUP_THREADS)) as pool:
                results = list(pool.map(lambda g: _group_rows(base, g, rs, plan, dates), groups))
        except pl.exceptions.ColumnNotFoundError:
            # a table reads another table's column without declaring it as an input: evaluate
            # every table in one group, in rule-set order, as before the split
            results = []
    if not results:
        tables = [t for t in rs.tables if t.paramcd in need]
        results = [_group_rows(base, tables, rs, plan, dates)]
    frames = [r for r, _ in results if r is not None]
    masks: dict[str, np.ndarray] = {}
    for _, m in results:
        masks.update(m)
    sources: list[list[tuple[int, np.ndarray | None]]] = [
        [
            (ti, None if m is None else masks[m[1:]] if m[0] == "+" else ~masks[m[1:]])
            for ti, m in src
        ]
        for src in plan.sources
    ]
    rows = pl.concat(frames, how="vertical")
    return rows, plan.outcomes, plan.code_table, sources


#: Threads evaluating independent table groups at once (each also uses polars' thread pool).
_GROUP_THREADS: Final = 2


def adjudicate(
    assessments: pl.DataFrame,
    rule_set: RuleSet | str = "CR_2012_RATIO",
    *,
    parameters: Sequence[str] | None = None,
    confirm: Sequence[str] | None = None,
    sort: bool = True,
    **options: OptionValue,
) -> pl.DataFrame:
    """Apply a rule set to a wide assessment frame.

    Parameters
    ----------
    assessments:
        Wide assessment frame, one row per subject-visit (contract in
        :mod:`plasmatrial.intake.analytes`). Absent analyte columns are treated as all-null.
    rule_set:
        A :class:`RuleSet` or a registered name (default ``"CR_2012_RATIO"``).
    parameters:
        PARAMCDs to output (default: every emitted parameter and overall combination).
    confirm:
        PARAMCDs whose CONFIRMED column is set (default: none; AL needs no confirmation,
        criteria.md Q16). Confirmation is the one mechanism of
        :func:`~plasmatrial.criteria.core.confirmation.confirm_response` on the rule set's response
        scale (:meth:`~plasmatrial.criteria.core.scale.ResponseScale.confirmation_spec`); CONFIRMED
        is its CONFFL as a boolean (decision 0260).
    sort:
        Sort the output by subject, date and parameter.
    **options:
        Rule-set options (e.g. ``cr_relapse_doubling_applies_to="both"``).

    Returns
    -------
    pl.DataFrame
        One row per post-baseline subject-visit (baseline rows for baseline-time tables such as
        staging) per parameter with columns USUBJID, VISIT, VISITNUM, ADT, ADY, PARAMCD, AVALC,
        RULEID, RULESET, RULESETVER, RULESETOPT, EXPLAIN, INPUTS (JSON), DOWNGRADE, AT_BOUNDARY,
        FLAGS, CONFIRMED.

    Raises
    ------
    RuleError
        Unknown rule set, option or parameter, or missing key columns.

    Notes
    -----
    1. Standardise columns (absent analytes become null) and sort by USUBJID, ADT (baseline first).
    2. Compute derived inputs (e.g. iFLC, dFLC) and, per table, the reference columns its rows
       read (baseline, nadir strictly before the current assessment, nadir while in a category,
       value at best response so far).
    3. Per table, the first satisfied row wins (top-down precedence). Rows above the winner whose
       result is unknown are reported as the downgrade reason; with no satisfied row the result
       is NE. A failed population gate gives NE with the gate's rule id.
    4. Overall parameters take the progression table's result where it is a progression, else the
       response table's (ruling R3).
    5. AT_BOUNDARY is true where an input of an evaluated row (the winner and every row above it)
       equals a threshold exactly (ruling R8).

    References
    ----------
    .. [1] criteria.md sections 0.1, 0.2 and 1-3.
    """
    rs = get_rule_set(rule_set) if isinstance(rule_set, str) else rule_set
    rs = rs.with_options(**options)
    conf = tuple(confirm or ())
    emitted = [o.paramcd for o in rs.overall] + [t.paramcd for t in rs.tables if t.emit]
    wanted = list(emitted if parameters is None else parameters)
    bad = [p for p in wanted if p not in emitted]
    if bad:
        raise RuleError(f"parameters: unknown {', '.join(bad)}; valid: {', '.join(emitted)}")
    base = _base(assessments, rs)
    keys = base.select(KEYS)
    rows, outcomes, code_table, sources = _table_rows(base, rs, wanted)
    del base  # free the standardised frame before the output is gathered (peak memory)
    box = [rows]
    del rows
    out = _assemble(keys, box, outcomes, code_table, sources, wanted, rs, sort=sort)
    return _confirm_parameters(out, rs, conf) if conf else out


def _confirm_parameters(out: pl.DataFrame, rs: RuleSet, params: Sequence[str]) -> pl.DataFrame:
    """CONFIRMED of the rows of ``params`` by the one confirmation mechanism.

    :func:`~plasmatrial.criteria.core.confirmation.confirm_response` with the rule set's response
    scale (its confirmation spec, or one built from its ranking); CONFIRMED is CONFFL == "Y"
    (null for NE rows).

    Raises
    ------
    RuleError
        The rule set carries no response scale, or a parameter's categories are not on it.
    """
    if rs.response is None:
        raise RuleError(f"confirm: rule set {rs.name!r} has no response scale to confirm on")
    spec = rs.response.scale.confirmation_spec()
    ranks = spec.ranks()
    confirmed = out.get_column("CONFIRMED").clone()
    indexed = out.with_row_index("_CONFROW")
    for p in params:
        rows = indexed.filter(pl.col("PARAMCD") == p).select(
            "_CONFROW", "USUBJID", "ADT", "AVALC", "FLAGS"
        )
        off = sorted(set(rows["AVALC"].drop_nulls().to_list()) - set(ranks))
        if off:
            raise RuleError(
                f"confirm: {p} categories {', '.join(off)} are not on the "
                f"{rs.response.scale.name} scale ({', '.join(ranks)})"
            )
        done = confirm_response(rows, spec=spec, warn=False)
        flag = pl.when(pl.col("CONFFL").is_not_null()).then(pl.col("CONFFL") == "Y")
        done = done.select("_CONFROW", flag.alias("_CONFFLAG"))
        confirmed = confirmed.scatter(done["_CONFROW"], done["_CONFFLAG"])
    return out.with_columns(confirmed)
