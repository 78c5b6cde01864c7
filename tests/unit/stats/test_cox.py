"""Unit tests for cox_ph input validation, options and the batched two-arm fit."""

from __future__ import annotations

import numpy as np
import pytest

from plasmatrial.errors import StatsError
from plasmatrial.stats._cox_exact import MAX_WORK
from plasmatrial.stats.cox import cox_ph, cox_ph_batched_two_arm


def _data(rng: np.random.Generator, n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)])
    t = np.ceil(rng.exponential(1 / np.exp(X @ [0.4, -0.6])) * 10)
    return t, rng.random(n) < 0.8, X


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param(
            {"time": [1, -2, 3]},
            r"time: values must be >= 0, got index 1: -2\.0",
            id="negative-time",
        ),
        pytest.param(
            {"time": [1, np.nan, 3]},
            r"time: values must be finite, got index 1: nan",
            id="nan-time",
        ),
        pytest.param({"event": [1, 2, 0]}, "event: expected 0/1", id="event-not-binary"),
        pytest.param({"X": [[1], [2]]}, r"X: expected shape \(3, p\)", id="x-rows"),
        pytest.param({"ties": "peto"}, "ties: expected one of", id="bad-ties"),
        pytest.param({"conf_level": 1.0}, "conf_level", id="conf-level-1"),
        pytest.param(
            {"weights": [1, 0, 1]},
            r"weights: values must be > 0, got index 1: 0\.0",
            id="zero-weight",
        ),
        pytest.param(
            {"entry": [0, 2, 1]}, r"entry: .*entry=2\.0 >= time=2\.0 at index 1", id="entry-eq"
        ),
        pytest.param({"event": [0, 0, 0]}, "no events", id="no-events"),
        pytest.param({"names": ["a", "b"]}, "names: expected 1", id="names-length"),
        pytest.param({"X": [[1], [1], [1]]}, "not positive definite", id="constant-x"),
    ],
)
def test_invalid_input_names_argument(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"time": [1, 2, 3], "event": [1, 1, 0], "X": [[0], [1], [0]]}
    args |= kwargs
    with pytest.raises(StatsError, match=match):
        cox_ph(**args)  # type: ignore[arg-type]


def test_entry_just_before_exit_is_accepted() -> None:
    fit = cox_ph([1, 2, 3, 4], [1, 1, 1, 0], [0, 1, 0, 1], entry=[0, 1.999, 0, 0])
    assert np.isfinite(fit.coef).all()


def test_exact_rejects_weights_and_robust() -> None:
    with pytest.raises(StatsError, match="exact"):
        cox_ph([1, 2, 3], [1, 1, 0], [0, 1, 0], ties="exact", weights=[1, 2, 1])
    with pytest.raises(StatsError, match="exact"):
        cox_ph([1, 2, 3], [1, 1, 0], [0, 1, 0], ties="exact", robust=True)


def test_exact_too_large_tie_set_raises() -> None:
    n = int(np.sqrt(MAX_WORK)) * 2
    t = np.ones(n)
    with pytest.raises(StatsError, match="too large for the exact method"):
        cox_ph(t, np.ones(n), np.arange(n) % 2, ties="exact")


def test_cluster_with_robust_false_is_an_error() -> None:
    with pytest.raises(StatsError, match="cluster= requires"):
        cox_ph([1, 2, 3, 4], [1, 1, 0, 1], [0, 1, 0, 1], cluster=[1, 1, 2, 2], robust=False)


def test_ties_methods_agree_without_ties(rng: np.random.Generator) -> None:
    t, e, X = _data(rng)
    t = t + rng.uniform(0, 0.5, t.shape[0])  # break every tie
    fits = [cox_ph(t, e, X, ties=m) for m in ("efron", "breslow", "exact")]
    for f in fits[1:]:
        np.testing.assert_allclose(f.coef, fits[0].coef, rtol=1e-10)


def test_strata_of_one_level_equals_unstratified(rng: np.random.Generator) -> None:
    t, e, X = _data(rng)
    a = cox_ph(t, e, X)
    b = cox_ph(t, e, X, strata=np.full(t.shape[0], "A"))
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)


def test_entry_zero_equals_right_censored(rng: np.random.Generator) -> None:
    t, e, X = _data(rng)
    a = cox_ph(t, e, X)
    b = cox_ph(t, e, X, entry=np.full(t.shape[0], -1.0))
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)
    np.testing.assert_allclose(a.var, b.var, rtol=1e-10)


def test_splitting_rows_at_a_time_leaves_the_fit_unchanged(rng: np.random.Generator) -> None:
    t, e, X = _data(rng)
    a = cox_ph(t, e, X)
    cut = 5.5
    long = t > cut
    start = np.r_[np.zeros(t.shape[0]), np.full(long.sum(), cut)]
    stop = np.r_[np.where(long, cut, t), t[long]]
    ev = np.r_[np.where(long, False, e), e[long]]
    b = cox_ph(stop, ev, np.r_[X, X[long]], entry=start)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-12)


def test_integer_weights_equal_replicated_rows(rng: np.random.Generator) -> None:
    t, e, X = _data(rng, 60)
    k = rng.integers(1, 4, t.shape[0])
    # Breslow only: under Efron (as in R) replicated rows become extra tied deaths
    a = cox_ph(t, e, X, weights=k.astype(float), ties="breslow")
    b = cox_ph(np.repeat(t, k), np.repeat(e, k), np.repeat(X, k, axis=0), ties="breslow")
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)
    np.testing.assert_allclose(a.var, b.var, rtol=1e-10)
    assert not a.robust  # integer weights: R's default is the model-based variance


def test_result_table_and_names(rng: np.random.Generator) -> None:
    t, e, X = _data(rng)
    fit = cox_ph(t, e, X, names=["age", "male"], robust=True)
    d = fit.to_dict()
    assert d["term"] == ["age", "male"]
    assert "robust_se" in d
    frame = fit.to_frame()
    assert frame.columns[:4] == ["term", "coef", "exp_coef", "se_coef"]
    np.testing.assert_allclose(frame["exp_coef"].to_numpy(), np.exp(fit.coef))


def test_complete_separation_gives_a_large_coefficient() -> None:
    # complete separation: the coefficient runs off to infinity
    fit = cox_ph([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0])
    assert fit.coef[0] > 5


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_batched_matches_cox_ph(rng: np.random.Generator, ties: str) -> None:
    nt, n = 6, 80
    t = np.ceil(rng.exponential(size=(nt, n)) * 8)
    e = rng.random((nt, n)) < 0.7
    arm = rng.integers(0, 2, (nt, n)).astype(float)
    res = cox_ph_batched_two_arm(t, e, arm, ties=ties)  # type: ignore[arg-type]
    for i in range(nt):
        f = cox_ph(t[i], e[i], arm[i], ties=ties, compute_concordance=False)  # type: ignore[arg-type]
        np.testing.assert_allclose(res.coef[i], f.coef[0], rtol=1e-9)
        np.testing.assert_allclose(res.se[i], f.se[0], rtol=1e-9)
        np.testing.assert_allclose(res.loglik[i], f.loglik, rtol=1e-12)
        np.testing.assert_allclose(res.score_test[i], f.score_test.statistic, rtol=1e-9)
        assert res.n_iter[i] == f.n_iter
    assert res.converged.all()


def test_batched_degenerate_trial_is_nan() -> None:
    res = cox_ph_batched_two_arm(
        [[1, 2, 3, 4], [1, 2, 3, 4]], [[0, 0, 0, 0], [1, 0, 1, 1]], [0, 1, 0, 1]
    )
    assert np.isnan(res.coef[0])
    assert not res.converged[0]
    assert np.isfinite(res.coef[1])


def test_batched_rejects_bad_arm() -> None:
    with pytest.raises(StatsError, match="arm"):
        cox_ph_batched_two_arm([[1, 2]], [[1, 1]], [0, 2])
