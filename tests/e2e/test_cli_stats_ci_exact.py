"""``stats ci`` with the pure-Python beta quantile (decision 0109): the JSON numbers are R's
(binom.test, qbeta) and, to full precision, scipy's where scipy's root is the correctly rounded
one; otherwise within a few units in the last place of it (tests/unit/stats/test_betainv.py)."""

from __future__ import annotations

import json
import math

import pytest
from scipy import special

from tests.e2e.cli import run_cli
from tests.reference import ATOL_R, RTOL_R, load_fixture

CASES = [
    c
    for c in load_fixture("binomial")["expected"]["cases"]
    if c["method"] in ("clopper-pearson", "jeffreys")
    and c["alternative"] == "two-sided"
    and c["conf_level"] == 0.95
    and (c["x"], c["n"]) in {(19, 28), (0, 10), (250, 455), (1, 10)}
]


def _scipy_limits(x: int, n: int, method: str) -> tuple[float, float]:
    a = (1 - 0.95) / 2
    s = 0.5 if method == "jeffreys" else 0.0
    lo = 0.0 if x == 0 else float(special.betaincinv(x + s, n - x + 1 - s, a))
    hi = 1.0 if x == n else float(special.betaincinv(x + 1 - s, n - x + s, 1 - a))
    return lo, hi


@pytest.mark.parametrize("case", CASES, ids=[f"{c['method']}-{c['x']}/{c['n']}" for c in CASES])
def test_ci_json_matches_r_and_scipy(case: dict[str, object]) -> None:
    x, n, method = case["x"], case["n"], case["method"]
    assert isinstance(x, int) and isinstance(n, int) and isinstance(method, str)
    res = run_cli("stats", "ci", "--x", str(x), "--n", str(n), "--method", method, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    for ours, r, before in zip(
        (out["lower"], out["upper"]),
        (case["lower"], case["upper"]),
        _scipy_limits(x, n, method),
        strict=True,
    ):
        assert math.isclose(ours, float(r), rel_tol=RTOL_R, abs_tol=ATOL_R)  # type: ignore[arg-type]
        assert abs(ours - before) <= 4 * math.ulp(before)
