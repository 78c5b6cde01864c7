"""check_survival_data: boundaries and messages that name the argument and value."""

from __future__ import annotations

import numpy as np
import pytest

from plasmatrial.errors import StatsError
from plasmatrial.stats._checks import check_survival_data


@pytest.mark.parametrize(
    ("entry", "ok"),
    [
        pytest.param([0.0, 1.999], True, id="entry-just-below-time-meets"),
        pytest.param([0.0, 2.0], False, id="entry-equal-time-misses"),
    ],
)
def test_entry_must_be_before_time(entry: list[float], ok: bool) -> None:
    if ok:
        _, _, s = check_survival_data([1.0, 2.0], [1, 0], entry=entry)
        assert s is not None
        assert s.tolist() == entry
    else:
        with pytest.raises(StatsError, match=r"entry: .*entry=2\.0 >= time=2\.0 at index 1"):
            check_survival_data([1.0, 2.0], [1, 0], entry=entry)


@pytest.mark.parametrize(
    ("time", "event", "kwargs", "match"),
    [
        pytest.param([0.0, 1.0], [1, 0], {}, None, id="time-zero-meets"),
        pytest.param(
            [-1e-9, 1.0], [1, 0], {}, r"time: values must be >= 0, got index 0", id="negative-time"
        ),
        pytest.param([np.nan, 1.0], [1, 0], {}, "time: values must be finite", id="nan-time"),
        pytest.param(
            [1.0, 2.0], [1, 2], {}, r"event: expected 0/1 or booleans, got index 1: 2", id="event-2"
        ),
        pytest.param([1.0, 2.0], [1], {}, "event: expected length 2", id="event-length"),
        pytest.param([], [], {}, "at least one", id="empty"),
        pytest.param(
            [1.0, 2.0],
            [1, 0],
            {"weights": [1.0, -0.1]},
            "weights: values must be >= 0",
            id="neg-weight",
        ),
        pytest.param([1.0, 2.0], [1, 0], {"weights": [1.0, 0.0]}, None, id="zero-weight-meets"),
        pytest.param([1.0, "a"], [1, 0], {}, "time: expected numbers", id="text-time"),
    ],
)
def test_validation_messages(
    time: list[object], event: list[int], kwargs: dict[str, object], match: str | None
) -> None:
    if match is None:
        t, e, _ = check_survival_data(time, event, **kwargs)  # type: ignore[arg-type]
        assert t.dtype == np.float64
        assert e.dtype == np.bool_
    else:
        with pytest.raises(StatsError, match=match):
            check_survival_data(time, event, **kwargs)  # type: ignore[arg-type]
