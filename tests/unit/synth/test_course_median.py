"""The generator's fast KM median is R's median of :func:`plasmatrial.stats.km.kaplan_meier`."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.stats.km import kaplan_meier
from plasmatrial.synth.course import MONTH, km_median_months


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=60), st.booleans()), min_size=1, max_size=80
    )
)
def test_fast_median_equals_the_km_median(rows: list[tuple[int, bool]]) -> None:
    days = np.array([float(d) * 7 for d, _ in rows])  # weekly grid: heavy ties, flat halves
    event = np.array([e for _, e in rows])
    want = kaplan_meier(days / MONTH, event.astype(np.float64), conf_type="none").median
    got = km_median_months(days, event)
    assert (math.isnan(got) and math.isnan(want)) or got == want


def test_flat_at_one_half_gives_the_midpoint() -> None:
    days = np.array([10.0, 20.0, 30.0, 40.0])
    event = np.array([True, True, False, False])
    want = kaplan_meier(days / MONTH, event.astype(np.float64), conf_type="none").median
    # S = 3/4 x 2/3 = 0.5 from day 20 to the last time (40): R takes the midpoint
    assert km_median_months(days, event) == want == (20.0 + 40.0) / 2 / MONTH


def test_calibrate_scale_finds_the_nearest_multiplier_in_two_passes() -> None:
    """Coarse pass over SCALES, then 201 points between the best one's neighbours; one call
    per pass with every candidate; medians not reached never win."""
    from plasmatrial.synth.course import SCALES, calibrate_scale

    calls: list[int] = []

    def medians(scales: np.ndarray) -> np.ndarray:
        calls.append(scales.size)
        return np.where(scales < 0.5, np.nan, 10.0 * scales)  # NaN: median not reached

    best = calibrate_scale(medians, 12.345)
    assert calls == [SCALES.size, 201]
    # the refined grid is 100x finer than SCALES' ~1% steps (a coarse-only answer misses by ~0.06)
    assert abs(10.0 * best - 12.345) < 0.01
    assert calibrate_scale(medians, 1.0) >= 0.5  # the nearest finite median, not a NaN one
