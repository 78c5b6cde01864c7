"""The figures of whole trial reports (decision 0810): one colour per arm across every figure of
the MM-003 report, Kaplan-Meier y-axes named by the endpoint, plain forest-plot ticks, EQ-5D
visits in time order, and time to response drawn as a rising curve (the demo trial)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from plasmatrial.cli.trial import example_trial, read_inputs, read_trial, write_trial_data
from plasmatrial.report.html import ReportDocument
from plasmatrial.report.labels import visit
from plasmatrial.report.style import ARM_PALETTE, arm_colours_in_svg, svg_texts
from plasmatrial.report.trial_report import (
    arm_style,
    build_trial_report,
    km_ylabel,
    ttr_curves,
    visit_order,
)
from plasmatrial.synth import simulate_trial_data
from plasmatrial.trial import TrialResults, run_trial
from plasmatrial.trial.analyse import TimeToEventResult

SEED = 20240601


def _run(name: str, folder: Path) -> TrialResults:
    trial = read_trial(example_trial(name))
    write_trial_data(simulate_trial_data(trial, seed=SEED), folder)
    return run_trial(trial, read_inputs(folder))


@pytest.fixture(scope="module")
def mm003(tmp_path_factory: pytest.TempPathFactory) -> tuple[TrialResults, ReportDocument]:
    res = _run("mm_pom_lodex_vs_hidex.yaml", tmp_path_factory.mktemp("mm003"))
    return res, build_trial_report(res)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> TrialResults:
    return _run("al_pomdex_phase2.yaml", tmp_path_factory.mktemp("demo"))


def _figures(doc: ReportDocument) -> list[tuple[str, str]]:
    return [
        (b.caption or "", b.svg or "") for s in doc.sections for b in s.blocks if b.kind == "figure"
    ]


def test_each_arm_has_one_colour_across_all_figures(
    mm003: tuple[TrialResults, ReportDocument],
) -> None:
    res, doc = mm003
    arms = [a.code for a in res.trial.arms]
    seen: dict[str, set[str]] = {}
    figures_with_arms = 0
    for _caption, svg in _figures(doc):
        found = arm_colours_in_svg(svg)
        figures_with_arms += bool(found)
        for arm, colours in found.items():
            seen.setdefault(arm, set()).update(colours)
    # KM x4, forest x0 (no arm colour), waterfall, cycles, swimmer, EQ-5D x2
    assert figures_with_arms >= 9
    assert set(seen) == set(arms)
    for i, arm in enumerate(arms):  # protocol order: the first arm blue, the second vermillion
        assert seen[arm] == {ARM_PALETTE[i]}, (arm, seen[arm])


def test_km_y_axis_names_the_endpoint(mm003: tuple[TrialResults, ReportDocument]) -> None:
    res, doc = mm003
    svgs = dict(_figures(doc))
    for r in res.endpoints:
        if isinstance(r, TimeToEventResult) and r.fits:
            svg = svgs[f"{r.endpoint}: {r.label} (Kaplan-Meier)"]
            texts = svg_texts(svg)
            assert km_ylabel(r.label) in texts
            assert "Probability" not in texts


def test_forest_ticks_are_plain_numbers(mm003: tuple[TrialResults, ReportDocument]) -> None:
    _res, doc = mm003
    forests = [svg for caption, svg in _figures(doc) if "by subgroup" in caption]
    assert forests
    for svg in forests:
        texts = svg_texts(svg)
        assert not [t for t in texts if "10^" in t or "times" in t]  # no 3x10^-1 labels
        assert {"0.25", "0.5", "1", "2"} <= set(texts)
        assert "AGEGR1" not in svg and "≥75 years" in texts
        assert any("Favours Pomalidomide + low-dose dexamethasone" in t for t in texts)
        assert not any("Favours POMLODEX" in t for t in texts)  # the name, not the code


def test_eq5d_visits_in_time_order(mm003: tuple[TrialResults, ReportDocument]) -> None:
    res, doc = mm003
    qs = res.datasets["ADQS"]
    visits = qs["VISIT"].unique().sort(descending=True).to_list()  # a scrambled order
    ordered = visit_order(res, visits)
    assert sorted(ordered) == sorted(visits)
    num = dict(qs.group_by("VISIT").agg(pl.col("VISITNUM").min()).iter_rows())  # visit -> VISITNUM
    nums = [num[v] for v in ordered]
    assert nums == sorted(nums)
    assert ordered[0] == "SCREENING"
    # both EQ-5D plots show their visits in that order
    eq = [svg for caption, svg in _figures(doc) if "EQ" in caption and "over time" in caption]
    assert len(eq) == 2
    for svg in eq:
        words = {visit(v): v for v in num}
        shown = [words[w] for w in svg_texts(svg) if w in words]
        assert len(shown) >= 5
        assert shown == [v for v in ordered if v in shown]


def test_time_to_response_rises(demo: TrialResults) -> None:
    style = arm_style(demo)
    ttr = [r for r in demo.endpoints if isinstance(r, TimeToEventResult) and r.cif]
    assert ttr
    for r in ttr:
        for curve in ttr_curves(r, style):
            y = np.asarray(curve.surv, dtype=float)
            assert y.size and np.all(np.diff(y) >= -1e-12) and y[0] >= 0 and y[-1] <= 1
            assert curve.key in style.codes  # coloured as the arm
    doc = build_trial_report(demo)
    svg = next(s for c, s in _figures(doc) if c.startswith("TTR"))
    texts = svg_texts(svg)
    assert any("(cumulative incidence)" in t for t in texts) and "Censored" not in texts


def test_every_figure_names_population_cutoff_and_criteria(
    mm003: tuple[TrialResults, ReportDocument],
) -> None:
    res, doc = mm003
    blocks = [b for s in doc.sections for b in s.blocks if b.kind == "figure"]
    assert len(blocks) >= 10
    for b in blocks:
        assert b.meta.startswith("Population: "), (b.caption, b.meta)
        assert "Data cut-off: " in b.meta and res.criteria.label in b.meta
    dor = [b for b in blocks if b.caption.startswith("DOR") and "Kaplan-Meier" in b.caption]
    assert dor and dor[0].meta.startswith("Population: Responders (N = ")


def test_response_figures_show_each_arm_apart(mm003: tuple[TrialResults, ReportDocument]) -> None:
    res, doc = mm003
    arms = {a.code for a in res.trial.arms}
    figs = dict(_figures(doc))
    for start in ("Waterfall", "Response (IMWG) at the end of each cycle", "Each patient's course"):
        caption = next(c for c in figs if c.startswith(start))
        assert set(arm_colours_in_svg(figs[caption])) == arms, caption
    swimmer = next(c for c in figs if c.startswith("Each patient's course"))
    assert "20 patients of each arm with the longest time on study" in swimmer
    texts = svg_texts(figs[swimmer])
    assert "Crossover treatment after progression" in texts
    assert sum(t.isdigit() and len(t) == 4 for t in texts) == 40  # SUBJID labels, 20 per arm
