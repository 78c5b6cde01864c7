"""Confirmation of per-visit responses and best confirmed response (a general mechanism).

The algorithm is the one of criteria.md 4.4 (adapted from admiralonco
``derive_confirmed_response``), parameterised by a :class:`ConfirmationSpec` so that any ranked
response scale with a progression category can use it. Everything is vectorised polars over the
subject-sorted frame (segment-masked shifts and fills, running maxima of small integer ranks); no
per-row Python.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from typing import Final

import polars as pl

from plasmatrial.criteria.core.predicates import (
    SUBJECT_INDEX,
    in_order,
    seg_forward_fill,
    seg_shift,
)
from plasmatrial.errors import PlasmatrialWarning, RuleError
from plasmatrial.intake.flags import yes_no

__all__ = [
    "DEFAULT_CONFIRMATION_OPTIONS",
    "IMWG_CONFIRMATION",
    "ConfirmationOptions",
    "ConfirmationSpec",
    "ConfirmationWindowWarning",
    "best_confirmed_response",
    "confirm_response",
]


class ConfirmationWindowWarning(PlasmatrialWarning):
    """A confirming assessment came more than ``period_days`` after the assessment it confirms."""


@dataclass(frozen=True, slots=True)
class ConfirmationSpec:
    """How a ranked response scale is confirmed.

    Attributes
    ----------
    responses:
        Categories that need confirmation by the next evaluable assessment, best first.
    stable:
        Category that needs no confirmation and is the floor a response falls back to.
    progression:
        Progression category.
    not_evaluable:
        Not-evaluable category (dropped before looking for the next assessment).
    single_assessment_flag:
        Token in the FLAGS column marking a progression that needs no repeat (imaging).
    period_days:
        Warn when the confirming assessment is more than this many days later.
    """

    responses: tuple[str, ...]
    stable: str = "SD"
    progression: str = "PD"
    not_evaluable: str = "NE"
    single_assessment_flag: str = "PD_IMAGING"
    period_days: int = 84

    def ranks(self) -> dict[str, int]:
        """NE 0 < stable 1 < responses (worst to best) < progression."""
        r = {self.not_evaluable: 0, self.stable: 1}
        for k, cat in enumerate(reversed(self.responses)):
            r[cat] = 2 + k
        r[self.progression] = 2 + len(self.responses)
        return r


IMWG_CONFIRMATION: Final = ConfirmationSpec(responses=("sCR", "CR", "VGPR", "PR", "MR"))
"""IMWG 2016 (criteria.md 4.4): sCR…MR need two consecutive assessments; SD none."""


@dataclass(frozen=True, slots=True)
class ConfirmationOptions:
    """What a SAP may set about the confirming assessment of a response (sap.md section 2).

    The vocabulary is admiralonco's ``derive_param_confirmed_bor``; the DEFAULTs are criteria.md
    4.4 (two consecutive assessments, no minimum interval, NE skipped, SD not allowed between).

    Attributes
    ----------
    min_days:
        The confirming assessment must be at least this many days after the response it confirms
        (DEFAULT 0). Non-NE assessments closer than that lie *between* the two.
    max_ne_between:
        Most NE assessments allowed between a response and its confirmation (DEFAULT None: any,
        they are skipped).
    max_sd_between:
        Most SD assessments allowed between a response and its confirmation (DEFAULT 0: the next
        non-NE assessment being SD confirms the response only as SD, criteria.md 4.4 step 3).
    """

    min_days: int = 0
    max_ne_between: int | None = None
    max_sd_between: int = 0

    def __post_init__(self) -> None:
        if self.min_days < 0:
            raise RuleError(f"min_days must be >= 0, got {self.min_days}")
        if self.max_ne_between is not None and self.max_ne_between < 0:
            raise RuleError(f"max_ne_between must be >= 0 or None, got {self.max_ne_between}")
        if self.max_sd_between < 0:
            raise RuleError(f"max_sd_between must be >= 0, got {self.max_sd_between}")

    @property
    def is_default(self) -> bool:
        """True for criteria.md 4.4 as written (the vectorised path serves it)."""
        return self == DEFAULT_CONFIRMATION_OPTIONS


DEFAULT_CONFIRMATION_OPTIONS: Final = ConfirmationOptions()

_NXT: Final = "__NXT"
_NXTDT: Final = "__NXTDT"
_LVL: Final = "__LVL"


def _next_evaluable(cur: pl.Expr, sid: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Next non-null value of ``cur`` and its date within the subject (strictly after the row)."""
    nv, nsid, nd = cur.shift(-1), sid.shift(-1), pl.when(cur.is_not_null()).then(pl.col("ADT"))
    src = pl.when(nv.is_not_null()).then(nsid).backward_fill()
    return (
        pl.when(src == sid).then(nv.backward_fill()),
        pl.when(src == sid).then(nd.shift(-1).backward_fill()),
    )


def confirm_response(
    visits: pl.DataFrame,
    *,
    spec: ConfirmationSpec = IMWG_CONFIRMATION,
    new_therapy: pl.DataFrame | None = None,
    deaths: pl.DataFrame | None = None,
    warn: bool = True,
    options: ConfirmationOptions = DEFAULT_CONFIRMATION_OPTIONS,
) -> pl.DataFrame:
    """Confirm per-visit responses (criteria.md 4.4 steps 1-8, ruling R7).

    Parameters
    ----------
    visits:
        One row per subject-assessment with USUBJID, ADT and AVALC (the unconfirmed category,
        e.g. the OVRLRESP rows of :func:`~plasmatrial.criteria.core.engine.adjudicate`); optional FLAGS
        (comma-separated tokens) and NACTDT (start of new therapy).
    spec:
        The response scale (default IMWG 2016).
    new_therapy:
        Optional USUBJID/NACTDT frame (earliest date per subject is used; combined with a NACTDT
        column of ``visits``).
    deaths:
        Optional USUBJID/DTHDT/DTHPDFL frame (death, and whether due to progression).
    warn:
        Emit a :class:`ConfirmationWindowWarning` when some confirmation took longer than
        ``spec.period_days``.
    options:
        SAP choices about the confirming assessment (:class:`ConfirmationOptions`); the
        DEFAULT is criteria.md 4.4 as written.

    Returns
    -------
    pl.DataFrame
        ``visits`` sorted by USUBJID, ADT with added columns: CONFLVL (this visit's own
        confirmed level), CONFFL ("Y" confirmed at its own category, "N" not, null for NE or
        after new therapy), CONFRESP (confirmed response carried forward), CONFDT (date of the
        first of the two assessments at the CONFRESP level), NXTADT (date of the confirming
        assessment), WARN, and ANL01FL ("Y" before new therapy).

    Raises
    ------
    RuleError
        Missing columns or categories outside the scale.

    Notes
    -----
    1. Visits on or after new therapy are not considered (CONF* null, ANL01FL "N"); NE visits
       are dropped when looking for the next assessment (``next``).
    2. A response confirmed when ``next`` is a response at least as good; confirmed at ``next``'s
       level when ``next`` is a lower response or SD; only SD when ``next`` is PD or missing.
    3. SD needs no confirmation.
    4. PD is confirmed when flagged as single-assessment (imaging), when ``next`` is PD, or when
       there is no ``next`` and the subject died of progression; a PD followed by a non-PD is NE;
       a PD without ``next`` stays PD with CONFFL "N" (R7).
    5. CONFRESP is the running maximum (NE < SD < MR < … < sCR < PD) of the visit levels.
    6. WARN when the confirming assessment is more than ``period_days`` after the visit.
    7. With non-default ``options`` a response's confirming assessment is the first later
       non-NE, non-PD assessment at least ``options.min_days`` after it that is not an SD
       skipped under ``options.max_sd_between``; every non-NE assessment before it lowers the
       confirmed level to the lowest seen (a PD between gives SD, an SD beyond the allowance
       gives SD); more than ``options.max_ne_between`` NE assessments between give SD. This
       path is a per-row loop (:func:`_confirm_levels_loop`); at the defaults it equals the
       vectorised expressions (property-tested).

    References
    ----------
    .. [1] Kumar S et al. Lancet Oncol 2016;17:e328-e346 (IMWG response criteria).
    .. [2] pharmaverse/admiralonco, ``derive_confirmed_response`` (IMWG vignette).
    """
    missing = [c for c in ("USUBJID", "ADT", "AVALC") if c not in visits.columns]
    if missing:
        raise RuleError(f"visits: missing column(s) {', '.join(missing)}")
    ranks = spec.ranks()
    bad = visits.filter(~pl.col("AVALC").is_in(list(ranks)) & pl.col("AVALC").is_not_null())
    if bad.height:
        raise RuleError(
            f"visits: AVALC {bad['AVALC'][0]!r} is not one of {', '.join(ranks)} (spec scale)"
        )
    df = visits
    if "FLAGS" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias("FLAGS"))
    nact = pl.col("NACTDT").cast(pl.Date) if "NACTDT" in df.columns else None
    if new_therapy is not None:
        nt = new_therapy.group_by("USUBJID").agg(pl.col("NACTDT").cast(pl.Date).min().alias("__NT"))
        df = df.join(nt, on="USUBJID", how="left")
        nact = pl.col("__NT") if nact is None else pl.min_horizontal(nact, pl.col("__NT"))
    if deaths is not None:
        d = deaths.select(
            "USUBJID",
            pl.col("DTHDT").cast(pl.Date).alias("__DTHDT"),
            yes_no(deaths, "DTHPDFL").fill_null(False).alias("__DPD"),
        )
        df = df.join(d, on="USUBJID", how="left")
    if not in_order(df, ["USUBJID", "ADT"], [False, False]):  # usually sorted by adjudicate
        df = df.sort(["USUBJID", "ADT"], maintain_order=True)
    first = (pl.col("USUBJID") != pl.col("USUBJID").shift(1)).fill_null(True)
    df = df.with_columns((first.cast(pl.Int64).cum_sum() - 1).alias(SUBJECT_INDEX))
    sid = pl.col(SUBJECT_INDEX)
    if nact is not None:
        df = df.with_columns(nact.min().over(SUBJECT_INDEX).alias("__NTS"))
        considered = pl.col("__NTS").is_null() | (pl.col("ADT") < pl.col("__NTS"))
    else:
        considered = pl.lit(True)
    df = df.with_columns(considered.alias("__CONS"))
    cur = pl.when(pl.col("__CONS") & (pl.col("AVALC") != spec.not_evaluable)).then(pl.col("AVALC"))
    nxt, nxtdt = _next_evaluable(cur, sid)
    df = df.with_columns(cur.alias("__CUR"), nxt.alias(_NXT), nxtdt.alias(_NXTDT))
    c, n = pl.col("__CUR"), pl.col(_NXT)
    rc = c.replace_strict(ranks, default=None, return_dtype=pl.Int32)
    rn = n.replace_strict(ranks, default=None, return_dtype=pl.Int32)
    is_resp = c.is_in(list(spec.responses))
    n_pd, c_pd = n == spec.progression, c == spec.progression
    single = pl.col("FLAGS").fill_null("").str.contains(spec.single_assessment_flag, literal=True)
    died_pd = (
        (pl.col("__DPD").fill_null(False) & (pl.col("__DTHDT") >= pl.col("ADT")).fill_null(False))
        if deaths is not None
        else pl.lit(False)
    )
    lvl = (
        pl.when(c.is_null())
        .then(pl.when(pl.col("__CONS")).then(pl.lit(spec.not_evaluable)))
        .when(is_resp & (n.is_null() | n_pd))
        .then(pl.lit(spec.stable))
        .when(is_resp & (rn >= rc))
        .then(c)
        .when(is_resp)
        .then(n)
        .when(c == spec.stable)
        .then(c)
        .when(c_pd & (single | n_pd | (n.is_null() & died_pd)))
        .then(c)
        .when(c_pd & n.is_null())
        .then(c)
        .otherwise(pl.lit(spec.not_evaluable))
    )
    conffl = (
        pl.when(c.is_null())
        .then(None)
        .when(is_resp)
        .then(
            pl.when(n.is_not_null() & ~n_pd & (rn >= rc)).then(pl.lit("Y")).otherwise(pl.lit("N"))
        )
        .when(c == spec.stable)
        .then(pl.lit("Y"))
        .when(c_pd & (single | n_pd | (n.is_null() & died_pd)))
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
    )
    if options.is_default:
        df = df.with_columns(lvl.alias(_LVL), conffl.alias("CONFFL"))
        used_next = (is_resp & n.is_not_null() & ~n_pd) | (c_pd & n_pd & ~single)
        df = df.with_columns(pl.when(used_next).then(pl.col(_NXTDT)).alias("__USEDDT"))
    else:
        df = df.with_columns(single.alias("__SINGLE"), died_pd.alias("__DIEDPD"))
        lv, fl, used = _confirm_levels_loop(df, spec, options)
        df = df.with_columns(
            pl.Series(_LVL, lv, dtype=pl.Utf8),
            pl.Series("CONFFL", fl, dtype=pl.Utf8),
            pl.Series("__USEDDT", used, dtype=pl.Date),
        )
    rl = pl.col(_LVL).replace_strict(ranks, default=None, return_dtype=pl.Int64)
    offset = sid * 64
    running = (offset + rl.fill_null(0)).cum_max() - offset
    inv = {v: k for k, v in ranks.items()}
    df = df.with_columns(running.alias("__RUN"), rl.alias("__RL"))
    prev = seg_shift(pl.col("__RUN")).fill_null(-1)
    gained = pl.when(pl.col("__RL") > prev).then(pl.col("ADT"))
    gap = (pl.col("__USEDDT") - pl.col("ADT")).dt.total_days()
    warn_expr = pl.when(gap > spec.period_days).then(
        pl.concat_str(
            [
                pl.lit("confirming assessment "),
                gap.cast(pl.Utf8),
                pl.lit(f" days later (> {spec.period_days})"),
            ]
        )
    )
    df = df.with_columns(
        pl.when(pl.col("__CONS"))
        .then(pl.col("__RUN").replace_strict(inv, default=None, return_dtype=pl.Utf8))
        .alias("CONFRESP"),
        pl.when(pl.col("__CONS")).then(seg_forward_fill(gained)).alias("CONFDT"),
        pl.col(_LVL).alias("CONFLVL"),
        pl.col("__USEDDT").alias("NXTADT"),
        warn_expr.alias("WARN"),
        pl.when(pl.col("__CONS")).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("ANL01FL"),
    )
    if warn:
        n_late = df.select(pl.col("WARN").is_not_null().sum()).item()
        if n_late:
            warnings.warn(
                f"{n_late} confirmation(s) used an assessment more than {spec.period_days} days "
                "later (see the WARN column)",
                ConfirmationWindowWarning,
                stacklevel=2,
            )
    return df.drop([c for c in df.columns if c.startswith("__")])


def _confirm_levels_loop(
    df: pl.DataFrame, spec: ConfirmationSpec, options: ConfirmationOptions
) -> tuple[list[str | None], list[str | None], list[dt.date | None]]:
    """Per-visit confirmed level, CONFFL and confirming date with SAP options (Notes 7).

    ``df`` is subject/date sorted with ``__CUR`` (the call when considered and not NE, else
    null), ``__CONS``, ``__SINGLE`` (single-assessment PD) and ``__DIEDPD``.
    """
    ranks = spec.ranks()
    sid = df[SUBJECT_INDEX].to_list()
    cur = df["__CUR"].to_list()
    cons = df["__CONS"].to_list()
    adt = df["ADT"].to_list()
    single = df["__SINGLE"].to_list()
    died = df["__DIEDPD"].to_list()
    raw = df["AVALC"].to_list()
    n = len(cur)
    lvl: list[str | None] = [None] * n
    flag: list[str | None] = [None] * n
    used: list[dt.date | None] = [None] * n
    responses = set(spec.responses)
    for i in range(n):
        c = cur[i]
        if c is None:
            lvl[i] = spec.not_evaluable if cons[i] else None
            continue
        if c in responses:
            lvl[i], flag[i], used[i] = _confirm_one(i, sid, cur, raw, adt, spec, options, ranks)
        elif c == spec.stable:
            lvl[i], flag[i] = c, "Y"
        else:  # progression: as the vectorised rule (options concern responses only)
            j = i + 1
            while j < n and sid[j] == sid[i] and cur[j] is None:
                j += 1
            nxt = cur[j] if j < n and sid[j] == sid[i] else None
            n_pd = nxt == spec.progression
            confirmed = bool(single[i]) or n_pd or (nxt is None and bool(died[i]))
            lvl[i] = c if (confirmed or nxt is None) else spec.not_evaluable
            flag[i] = "Y" if confirmed else "N"
            if n_pd and not single[i]:
                used[i] = adt[j]
    return lvl, flag, used


def _confirm_one(
    i: int,
    sid: list[int],
    cur: list[str | None],
    raw: list[str | None],
    adt: list[dt.date],
    spec: ConfirmationSpec,
    options: ConfirmationOptions,
    ranks: dict[str, int],
) -> tuple[str, str, dt.date | None]:
    """Confirmed level of the response at row ``i``: (level, CONFFL, confirming date)."""
    c = cur[i]
    assert c is not None
    level = c  # the lowest response seen so far, from c to the confirming assessment
    n_ne = n_sd = 0
    j = i + 1
    while j < len(cur) and sid[j] == sid[i]:
        v = cur[j]
        if v is None:
            if raw[j] == spec.not_evaluable:
                n_ne += 1
            j += 1
            continue
        if v == spec.progression:
            return spec.stable, "N", None
        early = (adt[j] - adt[i]).days < options.min_days
        if v == spec.stable:
            if n_sd < options.max_sd_between:
                n_sd += 1
                j += 1
                continue
            return spec.stable, "N", adt[j]
        if ranks[v] < ranks[level]:
            level = v
        if early:
            j += 1
            continue
        if options.max_ne_between is not None and n_ne > options.max_ne_between:
            return spec.stable, "N", None
        return level, ("Y" if level == c else "N"), adt[j]
    return spec.stable, "N", None


def best_confirmed_response(
    confirmed: pl.DataFrame,
    *,
    spec: ConfirmationSpec = IMWG_CONFIRMATION,
    subjects: pl.DataFrame | None = None,
    sd_min_days: int = 0,
) -> pl.DataFrame:
    """Best confirmed response per subject before progression and new therapy.

    Parameters
    ----------
    confirmed:
        Output of :func:`confirm_response`.
    spec:
        The response scale.
    subjects:
        Optional subject list (``USUBJID``, and ``STARTDT`` when ``sd_min_days`` > 0): every
        subject gets a row, those without an assessment with BOR = NE (sap.md section 2).
    sd_min_days:
        SD counts for BOR only from this many days after ``STARTDT`` (DEFAULT 0); an earlier SD
        counts as NE.

    Returns
    -------
    pl.DataFrame
        USUBJID, PARAMCD ("BOR"), AVALC (best confirmed level; the progression category when the
        subject has nothing better than NE before it; "NE" without any), ADT (date of the first of
        the two assessments at that level, or of the progression), PDDT (first PD visit, or
        null), PDCONFFL ("Y"/"N" for that PD).

    Notes
    -----
    Visits on or after new therapy (ANL01FL "N") and from the first PD visit on are ignored; ties
    keep the earliest visit. A subject whose assessments before the first PD are all NE (or who
    has none) has BOR = PD at the PD date (sap.md section 2).
    """
    ranks = spec.ranks()
    if sd_min_days < 0:
        raise RuleError(f"sd_min_days must be >= 0, got {sd_min_days}")
    d = (
        confirmed.select("USUBJID", "ADT", "ANL01FL", "CONFLVL", "CONFFL")
        .filter(pl.col("ANL01FL") == "Y")
        .sort(["USUBJID", "ADT"])
    )
    if sd_min_days > 0:
        if subjects is None or "STARTDT" not in subjects.columns:
            raise RuleError("sd_min_days needs subjects with a STARTDT column")
        d = d.join(
            subjects.select("USUBJID", pl.col("STARTDT").cast(pl.Date).alias("__ST")),
            on="USUBJID",
            how="left",
        ).with_columns(
            pl.when(
                (pl.col("CONFLVL") == spec.stable)
                & ((pl.col("ADT") - pl.col("__ST")).dt.total_days() < sd_min_days)
            )
            .then(pl.lit(spec.not_evaluable))
            .otherwise(pl.col("CONFLVL"))
            .alias("CONFLVL")
        )
    is_pd = pl.col("CONFLVL") == spec.progression
    d = d.with_columns(
        is_pd.fill_null(False).cast(pl.Int32).cum_sum().over("USUBJID").alias("__NPD")
    )
    pd = (
        d.filter(is_pd & (pl.col("__NPD") == 1))
        .group_by("USUBJID")
        .agg(pl.col("ADT").first().alias("PDDT"), pl.col("CONFFL").first().alias("PDCONFFL"))
    )
    before = d.filter(
        (pl.col("__NPD") == 0)
        & pl.col("CONFLVL").is_not_null()
        & (pl.col("CONFLVL") != spec.not_evaluable)
    ).with_columns(
        pl.col("CONFLVL").replace_strict(ranks, default=0, return_dtype=pl.Int32).alias("__R")
    )
    best = (
        before.sort(["USUBJID", "__R", "ADT"], descending=[False, True, False])
        .group_by("USUBJID", maintain_order=True)
        .first()
        .select("USUBJID", pl.col("CONFLVL").alias("__BEST"), pl.col("ADT").alias("__BESTDT"))
    )
    ids = confirmed.select("USUBJID")
    if subjects is not None:
        ids = pl.concat([subjects.select(pl.col("USUBJID").cast(pl.Utf8)), ids])
    out = (
        ids.unique(maintain_order=True)
        .join(best, on="USUBJID", how="left")
        .join(pd, on="USUBJID", how="left")
    )
    return out.select(
        "USUBJID",
        pl.lit("BOR").alias("PARAMCD"),
        pl.when(pl.col("__BEST").is_not_null())
        .then(pl.col("__BEST"))
        .when(pl.col("PDDT").is_not_null())
        .then(pl.lit(spec.progression))
        .otherwise(pl.lit(spec.not_evaluable))
        .alias("AVALC"),
        pl.coalesce("__BESTDT", pl.when(pl.col("__BEST").is_null()).then(pl.col("PDDT"))).alias(
            "ADT"
        ),
        "PDDT",
        "PDCONFFL",
    ).sort("USUBJID")
