"""Unit tests for kaplan_meier / kaplan_meier_by / logrank_test / rmst / cif behaviour."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from plasmatrial.errors import StatsError
from plasmatrial.stats.cif import cumulative_incidence
from plasmatrial.stats.km import kaplan_meier, kaplan_meier_by
from plasmatrial.stats.logrank import logrank_test, logrank_test_batched
from plasmatrial.stats.rmst import rmst, rmst_difference


def test_km_hand_computed() -> None:
    # 5 subjects; S = 4/5, then 4/5*3/4 = 3/5 (censor at 3), then 3/5 * 1/2 at 4
    fit = kaplan_meier([1, 2, 3, 4, 4], [1, 1, 0, 1, 0])
    np.testing.assert_allclose(fit.surv, [0.8, 0.6, 0.6, 0.3])
    np.testing.assert_array_equal(fit.n_risk, [5, 4, 3, 2])
    np.testing.assert_array_equal(fit.n_censor, [0, 0, 1, 1])
    assert fit.survival_at([0.5, 1.0, 3.9, 99.0]).tolist() == pytest.approx([1.0, 0.8, 0.6, 0.3])
    frame = fit.to_frame(censored=False)
    assert frame.columns == [
        "time",
        "n.risk",
        "n.event",
        "n.censor",
        "surv",
        "std.err",
        "lower",
        "upper",
    ]
    assert frame["time"].to_list() == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    ("events", "median"),
    [
        pytest.param([1, 1, 1, 0, 1, 1], 4.0, id="flat-at-half-midpoint"),
        pytest.param([1, 1, 0, 0, 0, 0], float("nan"), id="never-reaches-half"),
        pytest.param([1, 1, 1, 1, 1, 1], 3.5, id="exactly-half-at-3-then-drops-at-4"),
    ],
)
def test_median_conventions(events: list[int], median: float) -> None:
    got = kaplan_meier([1, 2, 3, 4, 5, 6], events).median
    if np.isnan(median):
        assert np.isnan(got)
    else:
        assert got == median


def test_km_by_group_and_frames() -> None:
    by = kaplan_meier_by([1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 1, 0], [2, 1, 2, 1, 2, 1])
    assert by.groups == ("1", "2")
    assert by["2"].n == 3.0
    assert set(by.to_frame()["group"].unique()) == {"1", "2"}
    assert isinstance(by.quantile([0.5]), pl.DataFrame)
    with pytest.raises(StatsError, match="group: no group '3'"):
        by["3"]


def test_km_rejects_bad_options() -> None:
    with pytest.raises(StatsError, match="conf_type"):
        kaplan_meier([1, 2], [1, 1], conf_type="logit")  # type: ignore[arg-type]
    with pytest.raises(StatsError, match="conf_level"):
        kaplan_meier([1, 2], [1, 1], conf_level=1.0)
    with pytest.raises(StatsError, match="probs"):
        kaplan_meier([1, 2], [1, 1]).quantile([1.5])


def test_logrank_needs_two_groups_and_reports_df() -> None:
    with pytest.raises(StatsError, match="at least two groups"):
        logrank_test([1, 2, 3], [1, 1, 1], [0, 0, 0])
    r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], ["a", "b", "c", "a", "b", "c"])
    assert r.df == 2
    assert r.to_frame().height == 3
    np.testing.assert_allclose(r.observed.sum(), r.expected.sum())


def test_batched_validates_shapes() -> None:
    with pytest.raises(StatsError, match="time: expected a 2-D"):
        logrank_test_batched([1, 2, 3], [1, 1, 1], [0, 1, 0])
    with pytest.raises(StatsError, match="event: expected shape"):
        logrank_test_batched([[1, 2, 3]], [[1, 1]], [0, 1, 0])


@pytest.mark.parametrize(
    ("tau", "ok"),
    [pytest.param(1e-9, True, id="tiny-tau-meets"), pytest.param(0.0, False, id="zero-tau-misses")],
)
def test_rmst_tau_boundary(tau: float, ok: bool) -> None:
    if ok:
        assert rmst([1, 2], [1, 1], tau=tau).rmst == pytest.approx(tau)
    else:
        with pytest.raises(StatsError, match="tau"):
            rmst([1, 2], [1, 1], tau=tau)


def test_rmst_difference_needs_two_groups() -> None:
    with pytest.raises(StatsError, match="exactly two groups"):
        rmst_difference([1, 2, 3], [1, 1, 1], [0, 1, 2], tau=2)


def test_cif_validation_and_single_group() -> None:
    with pytest.raises(StatsError, match="status: expected 0"):
        cumulative_incidence([1, 2], [1, 1.5])
    with pytest.raises(StatsError, match="no failures"):
        cumulative_incidence([1, 2], [0, 0])
    r = cumulative_incidence([1, 2, 3, 4], [1, 2, 0, 1])
    assert r.tests == ()
    assert r.causes == ("1", "2")
    assert r.to_frame().height == 3
