"""Large synthetic wide assessment frames (benchmarks of the criteria engine), numpy-vectorised."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from plasmatrial.intake.assessments import WIDE_SCHEMA


def generate_wide_assessments(
    n_subjects: int = 40_000,
    visits_per_subject: int = 25,
    seed: int = 20240601,
    *,
    visit_days: int = 28,
) -> pl.DataFrame:
    """Synthetic wide assessment frame (:data:`~plasmatrial.intake.assessments.WIDE_SCHEMA`).

    Parameters
    ----------
    n_subjects : int
        Number of subjects.
    visits_per_subject : int
        Assessments per subject (the first is the baseline, day -3).
    seed : int
        Seed for :func:`numpy.random.default_rng`.
    visit_days : int
        Days between assessments.

    Returns
    -------
    pl.DataFrame
        ``n_subjects * visits_per_subject`` rows; FLC, IFE, SPEP, NT-proBNP, troponin T,
        proteinuria, eGFR, ALP (+ULN) and blood counts filled, other analytes null.

    Notes
    -----
    Each subject's involved FLC decays exponentially to a random residual fraction (some regrow
    later); every column is one numpy draw over the (subject, visit) grid, so 1,000,000 rows take
    well under a few seconds. Values are plausible but not a clinical model: use
    :func:`~plasmatrial.synth.cohort.generate_al_cohort` for realistic raw data.
    """
    if n_subjects < 1 or visits_per_subject < 1:
        msg = (
            f"n_subjects and visits_per_subject must be >= 1, got {n_subjects}, "
            f"{visits_per_subject}"
        )
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    n, v = n_subjects, visits_per_subject
    shape = (n, v)
    k = np.arange(v)
    ady = np.where(k == 0, -3, k * visit_days + 1)
    t = np.maximum(ady - 1, 0)[None, :].astype(float)
    is_lambda = rng.random(n) < 0.75
    dflc0 = np.clip(rng.lognormal(np.log(150.0), 0.9, n), 5.0, 3000.0)
    u0 = np.clip(rng.lognormal(np.log(11.0), 0.35, n), 4.0, 30.0)
    resid = rng.choice([0.005, 0.1, 0.35, 0.9], size=n, p=[0.25, 0.3, 0.25, 0.2])
    tau = rng.uniform(25.0, 60.0, n)[:, None]
    frac = resid[:, None] + (1 - resid[:, None]) * np.exp(-t / tau)
    regrow = (rng.random(n) < 0.1)[:, None] & (t > 180)
    frac = np.where(regrow, frac * np.minimum(np.exp((t - 180) / 70.0), 6.0), frac)
    u = u0[:, None] * rng.lognormal(0, 0.06, shape)
    involved = u + dflc0[:, None] * frac * rng.lognormal(0, 0.07, shape)
    heart = rng.random(n) < 0.7
    nt0 = np.where(heart, rng.lognormal(np.log(3000), 0.8, n), rng.uniform(60, 400, n))
    neg = (frac < 0.02) & (t > 0)
    start = np.datetime64(dt.date(2024, 1, 8)) + rng.integers(0, 365, n).astype("timedelta64[D]")
    dates = start[:, None] + np.where(ady > 0, ady - 1, ady)[None, :].astype("timedelta64[D]")
    cols: dict[str, object] = {
        "VISITNUM": np.tile((k + 1).astype(float), n),
        "ADT": dates.ravel(),
        "ADY": np.tile(ady, n).astype(np.int64),
        "FLCKAP": np.where(is_lambda[:, None], u, involved).ravel(),
        "FLCLAM": np.where(is_lambda[:, None], involved, u).ravel(),
        "SPEPMP": np.round(np.where(rng.random(n) < 0.3, 0.8, 0.0)[:, None] * frac, 2).ravel(),
        "NTPROBNP": (nt0[:, None] * (0.4 + 0.6 * np.clip(frac, 0, 1.5))).ravel(),
        "TROPT": (np.where(heart, 0.06, 0.008)[:, None] * rng.lognormal(0, 0.2, shape)).ravel(),
        "PROT24H": (rng.uniform(0.1, 8.0, n)[:, None] * (0.3 + 0.7 * frac)).ravel(),
        "EGFR": np.clip(
            rng.uniform(30, 100, n)[:, None] * rng.lognormal(0, 0.05, shape), 5, 150
        ).ravel(),
        "ALP": (rng.uniform(50, 400, n)[:, None] * rng.lognormal(0, 0.05, shape)).ravel(),
        "HGB": np.clip(rng.normal(12.3, 1.2, shape), 7, 17).ravel(),
        "NEUT": np.clip(rng.normal(3.5, 1.0, shape), 0.2, 12).ravel(),
        "PLAT": np.clip(rng.normal(230, 50, shape), 15, 600).ravel(),
        "_NEG": neg.ravel(),
        "ALP_ULN": np.full(n * v, 120.0),
        "_LAMBDA": np.repeat(is_lambda, v),
        "HEARTFL": np.repeat(heart, v),
        "KIDNEYFL": np.repeat(rng.random(n) < 0.6, v),
        "LIVERFL": np.repeat(rng.random(n) < 0.15, v),
        "IMIDFL": np.tile((k > 0) & (k <= 6), n),
    }
    subject_ids = pl.Series([f"SUBJ-{i:06d}" for i in range(1, n + 1)], dtype=pl.String)
    visit_names = pl.Series(["BASELINE", *(f"VISIT {i}" for i in range(1, v))], dtype=pl.String)
    ife = pl.when(pl.col("_NEG")).then(pl.lit("NEGATIVE")).otherwise(pl.lit("POSITIVE"))
    frame = pl.DataFrame(cols).with_columns(
        subject_ids.gather(pl.Series(np.repeat(np.arange(n), v))).alias("USUBJID"),
        visit_names.gather(pl.Series(np.tile(k, n))).alias("VISIT"),
        pl.when(pl.col("VISITNUM") == 1).then(pl.lit("Y")).alias("ABLFL"),
        ife.alias("SIFE"),
        ife.alias("UIFE"),
        pl.lit("REPORTED").alias("EGFRMETH"),
        pl.when(pl.col("_LAMBDA")).then(pl.lit("LAMBDA")).otherwise(pl.lit("KAPPA")).alias("INVLC"),
    )
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(dtype).alias(c)
        for c, dtype in WIDE_SCHEMA.items()
    )
