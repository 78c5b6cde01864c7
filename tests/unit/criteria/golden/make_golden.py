"""Write the engine golden frames (run once, from the repository root, with the code to freeze).

    PYTHONPATH=src python tests/unit/criteria/golden/make_golden.py

Writes ``input.parquet`` (a few hundred synthetic subject-visits chosen to hit every rule row:
thresholds met exactly, missing values, zero references, missing or duplicated baselines,
unsorted rows, inferred light chain) and ``expected.parquet`` / ``evaluability.parquet``
(full engine output, every column, for several rule sets, options and parameter subsets).

The goldens were produced by the engine as it stood before the performance work of
docs/decisions/0250-criteria-performance.md (commit e59f9bf); ``test_engine_golden.py`` checks
that the optimised engine reproduces them exactly. The explanation columns (EXPLAIN, INPUTS,
DOWNGRADE) were reworded by decision 0206 (issue 12): ``explained.parquet`` holds them as that
wording writes them (``python tests/unit/criteria/golden/make_golden.py --text`` rewrites only
that file, after checking that every other column still equals ``expected.parquet``). They are not expected values in the clinical
sense (the worked cases in the other test modules are): they pin behaviour across refactoring.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from plasmatrial.criteria import adjudicate, evaluability, stage

HERE = Path(__file__).parent
N_SUBJECTS = 40

#: (config id, rule set, options, parameters, confirm, sort)
CONFIGS: list[tuple[str, str, dict[str, Any], list[str] | None, list[str] | None, bool]] = [
    ("default", "CR_2012_RATIO", {}, None, None, True),
    ("levels", "CR_2012_LEVELS_AND_RATIO", {}, None, None, True),
    ("isa", "CR_ISA", {}, None, None, True),
    ("mayo", "CR_MAYO_2020", {}, None, None, True),
    ("prog2018", "AL_PROG_PALLADINI_2018", {}, None, None, True),
    (
        "options",
        "CR_2012_RATIO",
        {
            "cr_relapse_doubling_applies_to": "both",
            "cardiac_progression_reference": "baseline",
            "liver_alp_response": "excess_over_uln",
        },
        None,
        None,
        True,
    ),
    ("nodouble", "CR_2012_RATIO", {"cr_relapse_doubling_applies_to": "none"}, None, None, True),
    ("hem", "CR_2012_RATIO", {}, ["HEMRESP", "HEMCAT", "HEMPROG"], None, True),
    ("card", "CR_2012_RATIO", {}, ["CARDRESP", "LIVRESP"], None, True),
    ("confirm", "CR_2012_RATIO", {}, ["HEMCAT", "HEMRESP"], ["HEMCAT", "HEMRESP"], True),
    ("unsorted", "CR_2012_RATIO", {}, ["HEMPROG", "RENRESP"], None, False),
    ("staging", "AL_STAGING", {}, None, None, True),
    ("staging54", "AL_STAGING", {"hs_ctnt_mayo2004": 54}, None, None, True),
]


def _pick(rng: np.random.Generator, n: int, choices: list[Any], p_null: float) -> list[Any]:
    out = [choices[i] for i in rng.integers(0, len(choices), n)]
    return [None if rng.random() < p_null else v for v in out]


def make_input(seed: int = 20240601) -> pl.DataFrame:  # noqa: C901 (one flat generator)
    """Synthetic wide assessments for the golden comparison."""
    rng = np.random.default_rng(seed)
    parts = []
    start = dt.date(2024, 1, 1)
    for s in range(N_SUBJECTS):
        n = int(rng.integers(3, 12))
        kappa = rng.random() < 0.4
        base_i = float(rng.choice([15.0, 25.0, 60.0, 150.0, 400.0, 1200.0]))
        base_u = float(rng.choice([5.0, 10.0, 20.0]))
        decay = float(rng.uniform(0.05, 0.6))
        relapse = int(rng.integers(2, 14))
        v = np.arange(n)
        trend = np.exp(-decay * v) + np.where(v > relapse, 0.6 * (v - relapse), 0.0)
        iflc = np.round(base_i * trend * rng.lognormal(0, 0.1, n) + 2, 1)
        uflc = np.round(np.full(n, base_u) * rng.lognormal(0, 0.05, n), 1)
        # exact thresholds now and then: dFLC 50, 20, 40, 10 at a visit
        for k in range(n):
            r = rng.random()
            if r < 0.05:
                iflc[k] = uflc[k] + 50.0
            elif r < 0.10:
                iflc[k] = uflc[k] + 20.0
            elif r < 0.13:
                iflc[k] = uflc[k] + 40.0
            elif r < 0.16:
                iflc[k] = uflc[k] + 10.0
            elif r < 0.18:
                iflc[k] = uflc[k] * 1.65 if kappa else uflc[k] / 0.26
        kap = np.where(kappa, iflc, uflc).astype(object)
        lam = np.where(kappa, uflc, iflc).astype(object)
        for k in range(n):
            if rng.random() < 0.08:
                kap[k] = None
            if rng.random() < 0.08:
                lam[k] = None
        ife_neg = iflc < uflc * 2
        sife = [
            None
            if rng.random() < 0.1
            else ("NEGATIVE" if neg and rng.random() < 0.8 else "POSITIVE")
            for neg in ife_neg
        ]
        uife = [
            None
            if rng.random() < 0.1
            else ("NEGATIVE" if neg and rng.random() < 0.8 else "positive")
            for neg in ife_neg
        ]
        ablfl: list[str | None] = ["Y"] + [None] * (n - 1)
        if s % 13 == 5:
            ablfl = [None] * n  # no baseline
        elif s % 17 == 3 and n > 3:
            ablfl[2] = "Y"  # a second baseline flag later on
        dates = [start + dt.timedelta(days=28 * int(k)) for k in v]
        if s % 11 == 4 and n > 2:
            dates[2] = dates[1]  # duplicate date
        invlc = "KAPPA" if kappa else "LAMBDA"
        inv_col: list[str | None] = [invlc] * n
        if s % 7 == 2:
            inv_col = [None] * n  # inferred from the baseline ratio
        elif s % 7 == 3:
            inv_col = [("K" if kappa else "L")] + [None] * (n - 1)

        def lev(center: float, sd: float, nn: int = n) -> np.ndarray:
            return np.round(rng.lognormal(np.log(center), sd, nn), 3)

        nt = lev(rng.choice([300.0, 650.0, 2500.0, 8000.0]), 0.5)
        if rng.random() < 0.3:
            nt[0] = 650.0
        prot = lev(float(rng.choice([0.3, 0.5, 3.0])), 0.6)
        egfr = np.round(rng.uniform(30, 100) * (1 - 0.04 * v), 1)
        alp = lev(float(rng.choice([100.0, 240.0, 400.0])), 0.4)
        spep = np.round(rng.uniform(0, 1.5, n), 2)
        spep[rng.random(n) < 0.2] = 0.0
        upep = np.round(rng.uniform(0, 400, n), 0)
        upep[rng.random(n) < 0.3] = 0.0
        frame = pl.DataFrame(
            {
                "USUBJID": [f"S{s:03d}"] * n,
                "VISIT": ["BASELINE"] + [f"C{k}" for k in range(1, n)],
                "VISITNUM": v.astype(np.float64),
                "ADT": dates,
                "ADY": (1 + 28 * v).astype(np.int64),
                "ABLFL": ablfl,
                "INVLC": inv_col,
                "FLCKAP": list(kap),
                "FLCLAM": list(lam),
                "SIFE": sife,
                "UIFE": uife,
                "SPEPMP": spep,
                "UPEPMP": upep,
                "NTPROBNP": nt,
                "BNP": lev(float(rng.choice([100.0, 150.0, 400.0])), 0.5),
                "NYHA": rng.integers(1, 5, n).astype(np.float64),
                "TROPT": lev(0.03, 0.12),
                "HSTNT": lev(50.0, 0.1),
                "TROPI": lev(0.05, 0.1),
                "LVEF": np.round(rng.uniform(35, 70, n), 0),
                "PROT24H": prot,
                "EGFR": egfr,
                "ALP": alp,
                "ALP_ULN": np.full(n, 120.0),
                "LIVSPAN": np.round(rng.uniform(12, 22, n), 1),
                "HEARTFL": _pick(rng, 1, [True, False], 0.2) * n,
                "KIDNEYFL": _pick(rng, 1, [True, False], 0.2) * n,
                "LIVERFL": _pick(rng, 1, [True, False], 0.2) * n,
                "IMIDFL": list(v > 0),
            },
            schema_overrides={
                "FLCKAP": pl.Float64,
                "FLCLAM": pl.Float64,
                "INVLC": pl.Utf8,
                "ABLFL": pl.Utf8,
                "SIFE": pl.Utf8,
                "UIFE": pl.Utf8,
                "HEARTFL": pl.Boolean,
                "KIDNEYFL": pl.Boolean,
                "LIVERFL": pl.Boolean,
            },
        )
        # random holes in the organ analytes
        holes = {c: rng.random(n) < 0.12 for c in ("NTPROBNP", "BNP", "TROPT", "PROT24H", "EGFR")}
        frame = frame.with_columns(
            pl.when(pl.Series(m)).then(None).otherwise(pl.col(c)).alias(c) for c, m in holes.items()
        )
        parts.append(frame)
    df = pl.concat(parts)
    # shuffle rows: the engine must sort
    return df.sample(fraction=1.0, shuffle=True, seed=seed)


def run_configs(inp: pl.DataFrame) -> pl.DataFrame:
    """Every configuration's full output, stacked, with a CONFIG column."""
    outs = []
    for cid, rs, opts, params, conf, srt in CONFIGS:
        if rs == "AL_STAGING":
            out = stage(inp, rs, **opts)
        else:
            out = adjudicate(inp, rs, parameters=params, confirm=conf, sort=srt, **opts)
        outs.append(out.with_columns(pl.lit(cid).alias("CONFIG")))
    return pl.concat(outs, how="vertical")


#: Columns of the explanation text (decision 0206), pinned by ``explained.parquet``.
TEXT_COLUMNS: tuple[str, ...] = ("EXPLAIN", "INPUTS", "DOWNGRADE")


def write_text_golden() -> None:
    """Rewrite ``explained.parquet`` (the text columns), refusing if any call column changed."""
    inp = pl.read_parquet(HERE / "input.parquet")
    out = run_configs(inp)
    calls = [c for c in out.columns if c not in TEXT_COLUMNS]
    old = pl.read_parquet(HERE / "expected.parquet")
    if not out.select(calls).equals(old.select(calls)):
        raise SystemExit("call columns differ from expected.parquet: not rewriting the text golden")
    out.select(*TEXT_COLUMNS, "CONFIG").write_parquet(HERE / "explained.parquet")
    print(f"explained.parquet: {out.height} rows")


def main() -> None:
    import sys

    if "--text" in sys.argv:
        write_text_golden()
        return
    inp = make_input()
    inp.write_parquet(HERE / "input.parquet")
    out = run_configs(inp)
    out.write_parquet(HERE / "expected.parquet")
    evaluability(inp).write_parquet(HERE / "evaluability.parquet")
    print(f"input {inp.height} rows; expected {out.height} rows")


if __name__ == "__main__":
    main()
