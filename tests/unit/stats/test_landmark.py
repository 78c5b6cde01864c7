"""Unit tests for the landmark method and counting-process splitting."""

from __future__ import annotations

import numpy as np
import pytest

from plasmatrial.errors import StatsError
from plasmatrial.stats.landmark import landmark_analysis, to_counting_process


@pytest.mark.parametrize(
    ("change", "rows"),
    [
        pytest.param(9.99, [(0, 9.99, False, 0), (9.99, 10, True, 1)], id="just-before-exit"),
        pytest.param(10.0, [(0, 10, True, 0)], id="at-exit-ignored"),
        pytest.param(0.0, [(0, 10, True, 1)], id="at-zero-on-from-start"),
        pytest.param(float("nan"), [(0, 10, True, 0)], id="never"),
    ],
)
def test_split_boundaries(change: float, rows: list[tuple[float, float, bool, int]]) -> None:
    cp = to_counting_process([1], [10.0], [1], [change])
    got = list(zip(cp.start, cp.stop, cp.event, cp.status, strict=True))
    assert [(float(a), float(b), bool(c), int(d)) for a, b, c, d in got] == rows


@pytest.mark.parametrize(
    ("time", "kept"),
    [
        pytest.param(6.0, False, id="event-at-landmark-excluded"),
        pytest.param(6.01, True, id="just-after-landmark-kept"),
    ],
)
def test_landmark_risk_set_boundary(time: float, kept: bool) -> None:
    t = [time, 8, 9, 12, 15, 20, 7, 30]
    e = [1, 1, 0, 1, 1, 0, 1, 1]
    r = [1, np.nan, 2, np.nan, 3, 7, np.nan, 6.0]
    res = landmark_analysis(t, e, r, landmark=6)
    assert bool(res.kept[0]) is kept
    # a response exactly at the landmark counts as "responded by the landmark"
    assert bool(res.responded[-1]) is True


def test_landmark_needs_both_groups() -> None:
    with pytest.raises(StatsError, match="responders and non-responders"):
        landmark_analysis([5, 8, 9], [1, 1, 0], [1, 2, 3], landmark=4)


def test_negative_change_time_rejected_by_its_own_name() -> None:
    with pytest.raises(StatsError, match=r"^change_time: expected non-negative times"):
        to_counting_process([1], [10.0], [1], [-1.0])
    with pytest.raises(StatsError, match=r"^response_time: expected non-negative times"):
        landmark_analysis([5, 8, 9], [1, 1, 0], [1, -2, 3], landmark=4)
