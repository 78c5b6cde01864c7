"""check_survival_data: boundaries and messages that name the argument and value."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plasmatrial.errors import StatsError
from plasmatrial.stats._checks import check_survival_data, group_codes


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


@given(
    st.lists(
        st.sampled_from(["POMLODEX", "HIDEX", "A", "a", "", "é", "B 2", "Z", "1", "10", "9"]),
        min_size=1,
    ),
    st.sampled_from(["U", "S"]),
)
def test_group_codes_of_strings_match_numpy_unique(labels: list[str], kind: str) -> None:
    """The equality-pass path for a few string labels gives np.unique's labels and codes."""
    g = np.asarray(labels)
    if kind == "S":
        g = np.asarray([x.encode("utf-8") for x in labels if x.isascii()] or [b"x"])
    got_labels, got_codes = group_codes(g, g.shape[0])
    levels = np.unique(g)
    assert got_labels == tuple(str(v) for v in levels.tolist())
    assert got_codes.tolist() == np.searchsorted(levels, g).tolist()


def test_group_codes_of_many_string_labels_fall_back_to_sorting() -> None:
    g = np.asarray([f"L{i % 11:02d}" for i in range(50)])  # 11 labels: more than the fast path
    labels, codes = group_codes(g, 50)
    assert labels == tuple(f"L{i:02d}" for i in range(11))
    assert codes.tolist() == [i % 11 for i in range(50)]
