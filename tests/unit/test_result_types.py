"""Every result type has a short repr, ``summary()`` (polars), ``_repr_html_``, ``to_frame()`` and
a JSON-ready ``to_dict()``, checked on real instances from small computations (issue 11)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import plasmatrial as pt
from plasmatrial._results import RESULT_TYPES, ResultMixin
from plasmatrial.cli.trial import write_trial_data
from plasmatrial.synth import simulate_trial_data

SRC = Path(pt.__file__).resolve().parent
TRIAL = SRC.parents[1] / "examples" / "trials" / "al_pomdex_phase2.yaml"
REPR_MAX = 500
#: ``@dataclass(frozen=True...)`` classes that are inputs, specs or internal state, not results.
NOT_RESULTS = frozenset(
    {
        "CoxData",
        "RiskSums",
        "DeathTerms",
        "_Fit",
        "_Elements",
        "CountingProcessData",
        "ArmScenario",
        "SimulationDesign",
        "_Prepared",
        "_Recursion",
        "_Enumerator",
        "TrialInputs",
        "ResolvedCriteria",
        "TrialData",
        "SyntheticCohort",
        "Computed",
    }
)


def _result_like_classes() -> Iterator[tuple[str, str]]:
    """``(module, class)`` of every frozen dataclass in src named like a result."""
    suffixes = ("Result", "Results", "Summary", "Design", "Curve", "Test", "Boundaries")
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        for node in tree.body:
            if not isinstance(node, ast.ClassDef) or node.name in NOT_RESULTS:
                continue
            decorators = " ".join(ast.unparse(d) for d in node.decorator_list)
            if node.name.endswith(suffixes) and "dataclass" in decorators:
                yield module, node.name


def test_every_result_named_class_adopts_the_mixin() -> None:
    missing = []
    for module, name in _result_like_classes():
        cls = getattr(importlib.import_module(module), name)
        if not issubclass(cls, ResultMixin):
            missing.append(f"{module}.{name}")
    assert missing == []


def _surv() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    rng = np.random.default_rng(20240601)
    n = 40
    arm = np.repeat([0, 1], n // 2)
    time = rng.exponential(10, n) * np.where(arm == 1, 1.5, 1.0)
    event = rng.random(n) < 0.8
    return time, event, arm


def _stats() -> list[object]:
    s = pt.stats
    time, event, arm = _surv()
    km = s.kaplan_meier(time, event)
    cox = s.cox_ph(time, event, arm[:, None], names=["arm"])
    cif = s.cumulative_incidence(time, np.where(event, 1 + arm, 0), group=arm)
    response = np.where(np.arange(time.size) % 3 == 0, 1.0, np.nan)
    rx = arm.astype(float)
    from plasmatrial.stats.km import km_table

    out: list[object] = [
        km,
        km_table(time, event, None, None),
        km.quantile(0.5),
        km.number_at_risk([0.0, 5.0]),
        s.kaplan_meier_by(time, event, arm),
        s.logrank_test(time, event, arm),
        s.logrank_test_batched(time[None, :], event[None, :], arm),
        cox,
        cox.wald_test,
        s.cox_ph_batched_two_arm(time[None, :], event[None, :], arm),
        s.binomial_ci(7, 20),
        cif,
        s.rmst(time, event, tau=8.0),
        s.rmst_difference(time, event, arm, tau=8.0),
        s.rpsft(time, event, arm, rx),
        s.landmark_analysis(time, event, response, landmark=1.0),
        cox.concordance,
    ]
    return out


def _design() -> list[object]:
    d = pt.design
    from plasmatrial.design.simulate import ArmScenario, SimulationDesign

    sim_design = SimulationDesign(
        arms=(ArmScenario("E", 1, 6.0, 20.0), ArmScenario("C", 1, 6.0, 20.0)),
        control="C",
        n_patients=60,
        accrual=12.0,
        events=40,
    )
    simon = d.simon_two_stage(0.1, 0.3, alpha=0.05, beta=0.2)
    sim = d.simulate_trials(sim_design, n_sims=50, seed=1)
    out: list[object] = [
        simon,
        simon.optimal,
        d.operating_characteristics(simon.optimal, [0.1, 0.3]),
        d.exact_single_stage(0.1, 0.3, 0.05, 0.2),
        d.three_plus_three([0.05, 0.1, 0.3]),
        d.boin_boundaries(0.3),
        d.simulate_boin([0.05, 0.1, 0.3], 0.3, n_sims=20, seed=1),
        d.group_sequential_design(2),
        d.sample_size_logrank(0.7, accrual=24.0, follow_up=12.0, median_control=12.0),
        d.calibrate(sim_design),
        sim,
    ]
    return out


def _nested(obj: object, depth: int = 0) -> Iterator[object]:
    """``obj`` and the results inside its fields, mappings and tuples."""
    yield obj
    if depth > 3 or not dataclasses.is_dataclass(obj):
        return
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        items = value.values() if isinstance(value, Mapping) else value
        for item in items if isinstance(items, tuple | list | type({}.values())) else (value,):
            if isinstance(item, ResultMixin):
                yield from _nested(item, depth + 1)


def _criteria() -> list[object]:
    from plasmatrial.criteria.core.summary import AL_SCALE, summarise_response
    from plasmatrial.criteria.mm.concordance import concordance
    from plasmatrial.criteria.mm.eligibility import evaluate_eligibility
    from plasmatrial.criteria.mm.response import respond_mm
    from tests.unit.criteria.helpers import frame
    from tests.unit.criteria.test_refractory import _mm003_patient

    cohort = pl.concat(
        [
            frame({"SPEPMP": 3.0}, {"SPEPMP": 1.2}, {"SPEPMP": 0.25}, subject="P1"),
            frame({"SPEPMP": 2.0}, {"SPEPMP": 1.8}, {"SPEPMP": 1.4}, subject="P2"),
        ],
        how="diagonal_relaxed",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mm = respond_mm(cohort)
    rs = pl.DataFrame(
        {
            "USUBJID": ["P1", "P2"],
            "RSDTC": ["2024-01-31", "2024-01-31"],
            "RSTESTCD": ["OVRLRESP"] * 2,
            "RSSTRESC": ["Partial Response", "Stable Disease"],
        }
    )
    import datetime as dt

    visits = pl.DataFrame(
        {
            "USUBJID": ["A", "A"],
            "ADT": [dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
            "AVALC": ["PR", "VGPR"],
            "EXPLAIN": ["pr", "vgpr"],
        }
    )
    subjects = pl.DataFrame({"USUBJID": ["A"], "STARTDT": [dt.date(2024, 1, 1)]})
    return [
        mm,
        concordance(mm.visits, rs),
        evaluate_eligibility(_mm003_patient(30), "MM003_ELIGIBILITY"),
        summarise_response(visits, subjects, scale=AL_SCALE, responder=("CR", "VGPR", "PR")),
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "data"
    trial = pt.read_trial(TRIAL)
    write_trial_data(simulate_trial_data(trial, seed=7), folder)
    return folder


def _trial(folder: Path) -> list[object]:
    trial = pt.read_trial(TRIAL)
    res = pt.run_trial(trial, pt.read_trial_data(folder))
    study = pt.read_sdtm(folder / "dm.csv", folder / "lb.csv", folder / "ex.csv")
    return [res, *res.endpoints, study, pt.respond(study, cm=folder / "cm.csv")]


@pytest.fixture(scope="module")
def instances(demo: Path) -> dict[type, object]:
    builders: list[Callable[[], list[object]]] = [_stats, _design, _criteria]
    found: dict[type, object] = {}
    for build in builders:
        for obj in build():
            for inner in _nested(obj):
                found.setdefault(type(inner), inner)
    for obj in _trial(demo):
        for inner in _nested(obj):
            found.setdefault(type(inner), inner)
    return found


def test_every_registered_result_type_has_an_instance(instances: dict[type, object]) -> None:
    registered = {cls for cls in RESULT_TYPES.values() if cls.__module__.startswith("plasmatrial")}
    names = sorted(f"{c.__module__}.{c.__qualname__}" for c in registered - set(instances))
    assert names == []


def _ids() -> list[str]:
    """Every result type: the scan of the sources and the registry (after importing them all)."""
    scanned = {f"{m}.{n}" for m, n in _result_like_classes()}
    for module in {name.rsplit(".", 1)[0] for name in scanned}:
        importlib.import_module(module)
    return sorted(scanned | {f"{c.__module__}.{c.__qualname__}" for c in RESULT_TYPES.values()})


@pytest.mark.parametrize("name", _ids())
def test_result_type_has_the_five_members(name: str, instances: dict[type, object]) -> None:
    obj = next(o for c, o in instances.items() if f"{c.__module__}.{c.__qualname__}" == name)
    text = repr(obj)
    assert text.startswith(type(obj).__name__ + "(")
    assert len(text) < REPR_MAX, text
    assert "array(" not in text
    summary = obj.summary()  # type: ignore[attr-defined]
    assert isinstance(summary, pl.DataFrame)
    assert summary.height >= 1
    assert isinstance(obj.to_frame(), pl.DataFrame)  # type: ignore[attr-defined]
    html = obj._repr_html_()  # type: ignore[attr-defined]
    assert "<table" in html
    as_json = json.dumps(obj.to_dict(), allow_nan=False)  # type: ignore[attr-defined]
    assert json.loads(as_json)
