"""Measure the FLC unit-plausibility rules (decision 0105) on synthetic data.

``python scripts/flc_unit_rules.py [N_COHORTS] [N_TRIAL_SEEDS] [N_SENSITIVITY]`` prints:

1. false positives on correctly labelled data: ``generate_al_cohort`` (30 subjects, 20 % of
   laboratories in mg/dL) over seeds ``0..N_COHORTS-1`` and the five seed trials
   (``simulate_trial_data`` of ``examples/trials/*.yaml``) over seeds ``0..N_TRIAL_SEEDS-1``;
2. sensitivity: mislabels injected into ``N_SENSITIVITY`` cohorts (one random subject, the whole
   file, or one random FLC record), the share of cohorts in which any rule fires.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import numpy as np
import polars as pl

from plasmatrial.design.protocol import parse_trial
from plasmatrial.errors import Problem
from plasmatrial.intake.lbprep import prepare_lb
from plasmatrial.intake.mixup import flc_unit_mixups
from plasmatrial.synth import generate_al_cohort, simulate_trial_data

FLC = pl.col("LBTESTCD").is_in(["FLCKAP", "FLCLAM"])
RULES = {
    "exactly where the unit label": "A",
    "not both below": "B",
    "reference range": "C",
    "file's other subjects": "D-subject",
    "step that reverts": "E",
    "not both 0": "zero",
}


def rule(p: Problem) -> str:
    if p.row is None:
        return "D-file"
    return next((r for key, r in RULES.items() if key in p.expected), "?")


def problems(lb: pl.DataFrame) -> list[Problem]:
    return flc_unit_mixups(prepare_lb(lb), file="LB")


def false_positives(n_cohorts: int, n_trial_seeds: int) -> None:
    by_rule: collections.Counter[str] = collections.Counter()
    flagged = records = 0
    for seed in range(n_cohorts):
        lb = generate_al_cohort(n_subjects=30, seed=seed).lb
        found = problems(lb)
        records += lb.filter(FLC).height
        flagged += bool(found)
        by_rule.update(rule(p) for p in found)
    print(
        f"generate_al_cohort: {n_cohorts} cohorts x 30 subjects, {records} FLC records; "
        f"cohorts with a problem: {flagged}; problems by rule: {dict(by_rule)}"
    )
    for path in sorted(Path("examples/trials").glob("*.yaml")):
        trial = parse_trial(path.read_text(), source=str(path))
        by_rule.clear()
        flagged = records = subjects = 0
        for seed in range(n_trial_seeds):
            lb = simulate_trial_data(trial, seed=seed).lb
            found = problems(lb)
            records += lb.filter(FLC).height
            subjects += lb.filter(FLC).get_column("USUBJID").n_unique()
            flagged += bool(found)
            by_rule.update(rule(p) for p in found)
        print(
            f"{path.name}: {n_trial_seeds} seeds, {subjects} subjects, {records} FLC records; "
            f"data sets with a problem: {flagged}; problems by rule: {dict(by_rule)}"
        )


def _scale(lb: pl.DataFrame, mask: pl.Expr, factor: float) -> pl.DataFrame:
    value = (pl.col("LBORRES").cast(pl.Float64) * factor).round(4).cast(pl.String)
    return lb.with_columns(pl.when(mask).then(value).otherwise(pl.col("LBORRES")).alias("LBORRES"))


def _relabel(lb: pl.DataFrame, mask: pl.Expr) -> pl.DataFrame:
    flip = pl.when(pl.col("LBORRESU") == "mg/L").then(pl.lit("mg/dL")).otherwise(pl.lit("mg/L"))
    return lb.with_columns(pl.when(mask).then(flip).otherwise(pl.col("LBORRESU")).alias("LBORRESU"))


def sensitivity(n: int) -> None:
    hits: collections.Counter[str] = collections.Counter()
    for seed in range(n):
        rng = np.random.default_rng(seed)
        lb = generate_al_cohort(n_subjects=30, seed=seed).lb.with_row_index("_I")
        subjects = lb.get_column("USUBJID").unique().sort().to_list()
        subject = FLC & (pl.col("USUBJID") == subjects[rng.integers(len(subjects))])
        rows = lb.filter(FLC).get_column("_I").to_list()
        one = FLC & (pl.col("_I") == rows[rng.integers(len(rows))])
        cases = {
            "one subject: numbers /10, label kept": _scale(lb, subject, 0.1),
            "one subject: numbers x10, label kept": _scale(lb, subject, 10.0),
            "one subject: every label flipped": _relabel(lb, subject),
            "whole file: every label flipped": _relabel(lb, FLC),
            "one record: label flipped": _relabel(lb, one),
            "one record: number /10, label kept": _scale(lb, one, 0.1),
        }
        for name, frame in cases.items():
            hits[name] += bool(problems(frame.drop("_I")))
    for name, k in hits.items():
        print(f"{name}: detected in {k} of {n} cohorts ({100 * k / n:.1f} %)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] + [1000, 10, 200][len(sys.argv) - 1 :]
    false_positives(args[0], args[1])
    sensitivity(args[2])
