"""One engine that applies any :class:`~plasmatrial.criteria.rules.RuleSet` to assessments.

Everything is vectorised polars: references are window functions over USUBJID sorted by ADT
(``cum_min``, ``forward_fill``, ``shift``), rule rows are compiled predicates, the winning row is
one ``when/then`` chain, and explanations are built with ``concat_str`` on the subset of rows each
rule won. The best-response-so-far dependency (ruling R2) needs no scan: the response category of
an assessment depends only on its values and the baseline, so "best so far" is a shifted
cumulative maximum of its rank.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

import numpy as np
import polars as pl

from plasmatrial.criteria.predicates import (
    BASELINE_FLAG,
    SUBJECT_INDEX,
    CategoryIs,
    Input,
    Predicate,
    Ref,
    seg_backward_fill,
    seg_forward_fill,
    seg_shift,
)
from plasmatrial.criteria.rules import OptionValue, Overall, Rule, RuleSet, RuleTable, get_rule_set
from plasmatrial.errors import RuleError
from plasmatrial.intake.analytes import ANALYTES

logger = logging.getLogger(__name__)

G: Final = "USUBJID"
KEYS: Final = ("USUBJID", "VISIT", "VISITNUM", "ADT", "ADY")
CHARACTER_COLUMNS: Final = ("SIFE", "UIFE", "INVLC")
BOOLEAN_COLUMNS: Final = ("HEARTFL", "KIDNEYFL", "LIVERFL", "IMIDFL")
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
    df = (
        assessments.select(exprs)
        .with_columns((pl.col("ABLFL") == "Y").fill_null(False).alias(_IS_BL))
        .sort(
            [G, "ADT", _IS_BL, "VISITNUM", "VISIT"],
            descending=[False, False, True, False, False],
            nulls_last=True,
        )
    )
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


def _running_min(df: pl.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
    """Running minimum within subject (current row included) and the row index attaining it.

    A small scan over visit positions, vectorised over subjects: values are laid out as a
    (subjects x positions) grid and the minimum is carried along positions (ties keep the earliest).
    """
    sid = df[SUBJECT_INDEX].to_numpy()
    pos = df["__POS"].to_numpy()
    vals = df[col].cast(pl.Float64).to_numpy()
    n_seg = int(sid[-1]) + 1 if len(sid) else 0
    width = int(pos.max()) + 1 if len(pos) else 0
    grid = np.full((n_seg, width), np.inf)
    rows = np.full((n_seg, width), -1, dtype=np.int64)
    finite = ~np.isnan(vals)
    grid[sid[finite], pos[finite]] = vals[finite]
    rows[sid, pos] = np.arange(len(sid))
    cur = np.full(n_seg, np.inf)
    arg = np.full(n_seg, -1, dtype=np.int64)
    out_v = np.empty_like(grid)
    out_i = np.empty_like(rows)
    for j in range(width):
        better = grid[:, j] < cur
        cur = np.where(better, grid[:, j], cur)
        arg = np.where(better, rows[:, j], arg)
        out_v[:, j] = cur
        out_i[:, j] = arg
    v = out_v[sid, pos]
    i = out_i[sid, pos]
    return np.where(np.isinf(v), np.nan, v), i


def _add_running_min(df: pl.DataFrame, tmp: str) -> pl.DataFrame:
    v, i = _running_min(df, tmp)
    dates = df["ADT"].gather(pl.Series(np.where(i < 0, 0, i)))
    return df.with_columns(
        pl.Series(tmp + "_v", v).fill_nan(None),
        pl.when(pl.Series(i) >= 0).then(dates).otherwise(None).alias(tmp + "_d"),
    )


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
        for tmp in running:
            df = _add_running_min(df, tmp)
    if finals:
        df = df.with_columns(finals)
    return df.drop([c for c in df.columns if c.startswith("__m_")])


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


def _evaluate_table(df: pl.DataFrame, t: RuleTable, rs: RuleSet) -> pl.DataFrame:
    P = t.paramcd
    df = _add_refs(df, _refs_of(t), rs)
    df = df.with_columns([r.when.to_expr().alias(f"{P}__V{i}") for i, r in enumerate(t.rows)])
    df = df.with_columns(_winner_expr(t).alias(f"{P}__W"))
    w = pl.col(f"{P}__W")
    mapping = {-1: "NE", len(t.rows): "NE"} | {i: r.category for i, r in enumerate(t.rows)}
    bparts: list[pl.Expr] = []
    if t.population is not None and (pb := t.population.when.boundary()) is not None:
        bparts.append(pb.fill_null(False))
    for i, r in enumerate(t.rows):
        b = r.when.boundary()
        if b is not None:
            bparts.append(b.fill_null(False) & (w >= i))
    boundary = pl.any_horizontal(bparts) if bparts else pl.lit(False)
    flags = (
        pl.concat_str(
            [pl.when(f.when.to_expr().fill_null(False)).then(pl.lit(f.name)) for f in t.flags],
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
        w.replace_strict(mapping, return_dtype=pl.Utf8).alias(P),
        boundary.alias(f"{P}__BOUNDARY"),
        pl.when(flags == "").then(None).otherwise(flags).alias(f"{P}__FLAGS"),
    )
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


def _confirm(df: pl.DataFrame, t: RuleTable) -> pl.DataFrame:
    """Generic confirmation: the next evaluable assessment is at least as good (or the same)."""
    P = t.paramcd
    cur = pl.when(pl.col(_POST) & (pl.col(P) != "NE")).then(pl.col(P))
    sid = pl.col(SUBJECT_INDEX)
    nxt = pl.when(sid == sid.shift(-1)).then(seg_backward_fill(cur.shift(-1)))
    if t.order:
        rank_map = {cat: len(t.order) - k for k, cat in enumerate(t.order)}
        conf = cur.replace_strict(rank_map, default=0) <= nxt.replace_strict(rank_map, default=0)
        conf = pl.when(nxt.is_null()).then(None).otherwise(conf)
    else:
        conf = cur == nxt
    return df.with_columns(pl.when(cur.is_not_null()).then(conf).alias(f"{P}__CONF"))


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
    confirm: Sequence[str] = (),
    parameters: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Wide frame with derived inputs, references and per-table winners (engine internals).

    Parameters
    ----------
    assessments:
        Wide assessment frame (see :mod:`plasmatrial.intake.analytes`).
    rule_set:
        The rule set to apply.
    confirm:
        Parameters whose categories get a confirmation flag.
    parameters:
        Only evaluate the tables these parameters need (default: all).

    Returns
    -------
    pl.DataFrame
        One row per input row, sorted by USUBJID and ADT, with ``<PARAMCD>`` category columns.
    """
    df = _standardise(assessments, rule_set.columns)
    if rule_set.derivations:
        for d in rule_set.derivations:
            df = df.with_columns(d.build().alias(d.column))
    need = (
        {t.paramcd for t in rule_set.tables}
        if parameters is None
        else _needed_tables(rule_set, parameters)
    )
    for t in rule_set.tables:
        if t.paramcd not in need:
            continue
        df = _evaluate_table(df, t, rule_set)
        if t.paramcd in confirm:
            df = _confirm(df, t)
    return df


# ------------------------------------------------------------------------------------- output
def _input_names(inputs: Sequence[Input]) -> list[str]:
    names: dict[str, None] = {}
    for i in inputs:
        names[i.ref.column(i.column)] = None
        if i.ref.kind != "current":
            names[i.ref.date_column(i.column)] = None
    return list(names)


def _json(inputs: Sequence[Input]) -> pl.Expr:
    names = _input_names(inputs)
    if not names:
        return pl.lit("{}")
    return pl.struct([pl.col(n) for n in names]).struct.json_encode()


def _missing_list(r: Rule) -> pl.Expr:
    cols = _input_names(r.requires)
    return pl.concat_str(
        [pl.when(pl.col(c).is_null()).then(pl.lit(c)) for c in cols],
        separator=", ",
        ignore_nulls=True,
    )


def _note(r: Rule) -> pl.Expr:
    return pl.concat_str(
        [pl.lit(f"{r.category} not assessable ({r.id}; missing: "), _missing_list(r), pl.lit(")")]
    )


def _downgrade(t: RuleTable, upto: int) -> pl.Expr:
    parts = [
        pl.when(r.when.to_expr().is_null()).then(_note(r)) for r in t.rows[:upto] if r.note_missing
    ]
    if not parts:
        return pl.lit(None, dtype=pl.Utf8)
    s = pl.concat_str(parts, separator="; ", ignore_nulls=True)
    return pl.when(s == "").then(None).otherwise(s)


def _outcome(
    lf: pl.LazyFrame,
    rs: RuleSet,
    t: RuleTable,
    k: int,
    *,
    paramcd: str,
    pindex: int,
    extra: pl.Expr | None,
) -> pl.LazyFrame:
    P = t.paramcd
    w = pl.col(f"{P}__W")
    at = pl.col(_IS_BL) if t.timepoint == "baseline" else pl.col(_POST)
    filt = at & (w == k)
    if extra is not None:
        filt = filt & extra
    n = len(t.rows)
    if k == -1 and t.population is not None:
        rule: Rule | None = t.population
        cat, rid = "NE", t.population.id
        explain = pl.concat_str(
            [pl.lit(f"NE: not evaluable ({t.population.id}): "), t.population.when.explain()]
        )
        inputs = _json(t.population.requires)
        dgr: pl.Expr = pl.lit(None, dtype=pl.Utf8)
    elif k == n:
        rule, cat, rid = None, "NE", t.ne_id
        dgr = _downgrade(t, n)
        current = [i for r in t.rows for i in r.requires if i.ref.kind == "current"]
        miss = pl.concat_str(
            [pl.when(pl.col(c).is_null()).then(pl.lit(c)) for c in _input_names(current)],
            separator=", ",
            ignore_nulls=True,
        )
        explain = pl.concat_str(
            [
                pl.lit("NE: no category could be established (missing at this visit: "),
                miss,
                pl.lit(")"),
                pl.concat_str([pl.lit("; "), dgr]),
            ],
            ignore_nulls=True,
        )
        inputs = _json([i for r in t.rows for i in r.requires])
    else:
        rule = t.rows[k]
        cat, rid = rule.category, rule.id
        dgr = _downgrade(t, k)
        explain = pl.concat_str(
            [
                pl.lit(f"{cat}: "),
                rule.when.explain_as(True),
                pl.concat_str([pl.lit(" [downgraded: "), dgr, pl.lit("]")]),
            ],
            ignore_nulls=True,
        )
        inputs = _json(rule.requires)
    del rule
    conf = (
        pl.col(f"{P}__CONF")
        if f"{P}__CONF" in lf.collect_schema().names()
        else pl.lit(None, dtype=pl.Boolean)
    )
    exprs = [
        *[pl.col(c) for c in KEYS],
        pl.lit(paramcd).alias("PARAMCD"),
        pl.lit(cat).alias("AVALC"),
        pl.lit(rid).alias("RULEID"),
        pl.lit(rs.name).alias("RULESET"),
        pl.lit(rs.version).alias("RULESETVER"),
        pl.lit(rs.options_text()).alias("RULESETOPT"),
        explain.alias("EXPLAIN"),
        inputs.alias("INPUTS"),
        dgr.alias("DOWNGRADE"),
        pl.col(f"{P}__BOUNDARY").alias("AT_BOUNDARY"),
        pl.col(f"{P}__FLAGS").alias("FLAGS"),
        conf.alias("CONFIRMED"),
        pl.col(_ROW),
        pl.lit(pindex, dtype=pl.Int16).alias("__P"),
    ]
    needed: dict[str, None] = {}
    for e in [filt, *exprs]:
        needed.update(dict.fromkeys(e.meta.root_names()))
    return lf.select(list(needed)).filter(filt).select(exprs)


def _table_outcomes(t: RuleTable) -> list[int]:
    return ([-1] if t.population is not None else []) + list(range(len(t.rows) + 1))


def _overall_frames(lf: pl.LazyFrame, rs: RuleSet, o: Overall, pindex: int) -> list[pl.LazyFrame]:
    prog, resp = rs.table(o.progression), rs.table(o.response)
    is_prog = pl.col(prog.paramcd).is_in(list(o.progression_categories)).fill_null(False)
    frames = [
        _outcome(lf, rs, prog, k, paramcd=o.paramcd, pindex=pindex, extra=is_prog)
        for k in _table_outcomes(prog)
    ]
    frames += [
        _outcome(lf, rs, resp, k, paramcd=o.paramcd, pindex=pindex, extra=~is_prog)
        for k in _table_outcomes(resp)
    ]
    return frames


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
        PARAMCDs whose categories need confirmation by the next evaluable assessment (default:
        the rule set's own setting; AL sets need none, criteria.md Q16).
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
    conf = tuple(rs.confirm if confirm is None else confirm)
    emitted = [o.paramcd for o in rs.overall] + [t.paramcd for t in rs.tables if t.emit]
    wanted = list(emitted if parameters is None else parameters)
    bad = [p for p in wanted if p not in emitted]
    if bad:
        raise RuleError(f"parameters: unknown {', '.join(bad)}; valid: {', '.join(emitted)}")
    wide = prepare(assessments, rs, confirm=conf, parameters=wanted)
    lf = wide.lazy()
    frames: list[pl.LazyFrame] = []
    for pindex, p in enumerate(wanted):
        overall = [o for o in rs.overall if o.paramcd == p]
        if overall:
            frames += _overall_frames(lf, rs, overall[0], pindex)
            continue
        t = rs.table(p)
        frames += [
            _outcome(lf, rs, t, k, paramcd=p, pindex=pindex, extra=None) for k in _table_outcomes(t)
        ]
    out = pl.concat(frames, how="vertical").collect(optimizations=pl.QueryOptFlags.none())
    if sort:
        out = out.sort([_ROW, "__P"])
    return out.drop([_ROW, "__P"])


def categories_column(t: RuleTable) -> CategoryIs:
    """Predicate helper: the category column of a table (for rules reading earlier tables)."""
    return CategoryIs(t.paramcd, tuple(r.category for r in t.rows))
