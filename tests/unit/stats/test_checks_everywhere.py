"""Every survival routine accepts and refuses the same inputs, with the same message.

One validator (``stats/_checks.py``, decision 0280) serves them all; these tests call the public
functions, so a routine that goes back to checking on its own (or skips a check) fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from plasmatrial.errors import StatsError
from plasmatrial.stats.binomial import binomial_ci
from plasmatrial.stats.cif import cumulative_incidence
from plasmatrial.stats.cox import cox_ph
from plasmatrial.stats.cox_batched import cox_ph_batched_two_arm
from plasmatrial.stats.km import kaplan_meier, kaplan_meier_by
from plasmatrial.stats.landmark import landmark_analysis, to_counting_process
from plasmatrial.stats.logrank import logrank_test, logrank_test_batched
from plasmatrial.stats.rmst import rmst, rmst_difference
from plasmatrial.stats.rpsft import rpsft

TIME = [5.0, 8, 9, 12, 15, 20, 7, 30]
EVENT = [1, 1, 0, 1, 1, 0, 1, 1]
ARM = [0, 0, 0, 0, 1, 1, 1, 1]
RX = [0, 0.5, 0, 0, 1, 1, 1, 1]
RESPONSE = [1, np.nan, 2, np.nan, 3, 7, np.nan, 1]

Call = Callable[[Any, Any], object]

#: (time, event) -> result, for every routine that takes right-censored data.
ROUTINES: dict[str, Call] = {
    "kaplan_meier": lambda t, e: kaplan_meier(t, e),
    "kaplan_meier_by": lambda t, e: kaplan_meier_by(t, e, ARM),
    "logrank_test": lambda t, e: logrank_test(t, e, ARM),
    "rmst": lambda t, e: rmst(t, e, tau=7),
    "rmst_difference": lambda t, e: rmst_difference(t, e, ARM, tau=7),
    "cox_ph": lambda t, e: cox_ph(t, e, ARM),
    "landmark_analysis": lambda t, e: landmark_analysis(t, e, RESPONSE, landmark=4),
    "to_counting_process": lambda t, e: to_counting_process(range(8), t, e, RESPONSE),
    "rpsft": lambda t, e: rpsft(t, e, ARM, RX),
    "logrank_test_batched": lambda t, e: logrank_test_batched([t], [e], ARM),
    "cox_ph_batched_two_arm": lambda t, e: cox_ph_batched_two_arm([t], [e], ARM),
}
#: cumulative incidence reads a status code (0 = censored, k = cause k), not a 0/1 event.
TIME_ONLY: dict[str, Call] = {
    **ROUTINES,
    "cumulative_incidence": lambda t, e: cumulative_incidence(t, e),
}
BATCHED = {"logrank_test_batched", "cox_ph_batched_two_arm"}
#: these two need a positive time (a (0, 0] interval is empty; RPSFT rescales times by e^psi).
POSITIVE_TIME = {"to_counting_process", "rpsft"}


def _with(values: list[Any], index: int, value: Any) -> list[Any]:
    out = list(values)
    out[index] = value
    return out


@pytest.mark.parametrize("name", sorted(TIME_ONLY))
def test_the_reference_data_is_accepted_by_every_routine(name: str) -> None:
    assert TIME_ONLY[name](TIME, EVENT) is not None


@pytest.mark.parametrize("name", sorted(TIME_ONLY))
@pytest.mark.parametrize(
    ("time", "message"),
    [
        pytest.param(_with(TIME, 2, np.nan), "time: values must be finite, got index 2: nan", id="nan"),
        pytest.param(_with(TIME, 2, np.inf), "time: values must be finite, got index 2: inf", id="inf"),
        pytest.param(_with(TIME, 2, -1.0), "time: values must be >= 0, got index 2: -1.0", id="neg"),
        pytest.param(_with(TIME, 2, -1e-12), "time: values must be >= 0, got index 2: -1e-12", id="tiny-neg"),
        pytest.param(_with(TIME, 2, "x"), "time: expected numbers", id="text"),
    ],
)  # fmt: skip
def test_bad_times_are_refused_alike(name: str, time: list[Any], message: str) -> None:
    with pytest.raises(StatsError) as err:
        TIME_ONLY[name](time, EVENT)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("name", sorted(ROUTINES))
@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param(_with(EVENT, 3, 2), "event: expected 0/1 or booleans, got index 3: 2", id="two"),
        pytest.param(_with(EVENT, 3, 0.5), "event: expected 0/1 or booleans, got index 3: 0.5", id="half"),
        pytest.param(_with(EVENT, 3, -1), "event: expected 0/1 or booleans, got index 3: -1", id="minus-one"),
        pytest.param(_with(EVENT, 3, np.nan), "event: expected 0/1 or booleans, got index 3: nan", id="nan"),
    ],
)  # fmt: skip
def test_bad_events_are_refused_alike(name: str, event: list[Any], message: str) -> None:
    with pytest.raises(StatsError) as err:
        ROUTINES[name](TIME, event)
    assert str(err.value) == message


@pytest.mark.parametrize("name", sorted(set(ROUTINES) - BATCHED))
def test_a_short_event_vector_is_refused_alike(name: str) -> None:
    with pytest.raises(StatsError, match=r"^event: expected length 8 \(same as time\), got 7$"):
        ROUTINES[name](TIME, EVENT[:7])


@pytest.mark.parametrize("name", sorted(BATCHED))
def test_a_short_event_matrix_is_refused_alike(name: str) -> None:
    with pytest.raises(StatsError, match=r"^event: expected shape \(1, 8\) \(same as time\)"):
        ROUTINES[name](TIME, EVENT[:7])


@pytest.mark.parametrize("name", sorted(set(TIME_ONLY) - BATCHED))
def test_empty_data_is_refused_alike(name: str) -> None:
    with pytest.raises(StatsError, match=r"^time: expected at least one observation"):
        TIME_ONLY[name]([], [])


@pytest.mark.parametrize("name", sorted(ROUTINES))
@pytest.mark.parametrize(
    "event",
    [
        pytest.param([bool(v) for v in EVENT], id="booleans"),
        pytest.param([float(v) for v in EVENT], id="floats"),
        pytest.param(np.asarray(EVENT, dtype=np.int8), id="int8"),
    ],
)
def test_every_spelling_of_an_event_gives_the_same_result(name: str, event: Any) -> None:
    assert repr(ROUTINES[name](TIME, event)) == repr(ROUTINES[name](TIME, EVENT))


@pytest.mark.parametrize("name", sorted(TIME_ONLY))
def test_time_zero_is_accepted_where_the_method_allows_it(name: str) -> None:
    time = _with(TIME, 2, 0.0)  # a censored patient at the origin
    if name in POSITIVE_TIME:
        with pytest.raises(StatsError, match=r"^time: expected positive"):
            TIME_ONLY[name](time, EVENT)
    else:
        assert TIME_ONLY[name](time, EVENT) is not None


ENTRY: dict[str, Callable[[Any], object]] = {
    "kaplan_meier": lambda s: kaplan_meier(TIME, EVENT, entry=s),
    "kaplan_meier_by": lambda s: kaplan_meier_by(TIME, EVENT, ARM, entry=s),
    "logrank_test": lambda s: logrank_test(TIME, EVENT, ARM, entry=s),
    "cox_ph": lambda s: cox_ph(TIME, EVENT, ARM, entry=s),
}


@pytest.mark.parametrize("name", sorted(ENTRY))
def test_delayed_entry_is_checked_alike(name: str) -> None:
    assert ENTRY[name](_with([0.0] * 8, 2, 8.999)) is not None  # just below its time 9
    assert ENTRY[name](_with([0.0] * 8, 2, -3.0)) is not None  # at risk from before the origin
    with pytest.raises(StatsError) as err:
        ENTRY[name](_with([0.0] * 8, 2, 9.0))
    assert (
        str(err.value)
        == "entry: each entry time must be < time, got entry=9.0 >= time=9.0 at index 2"
    )
    with pytest.raises(StatsError, match=r"^entry: values must be finite, got index 1: nan$"):
        ENTRY[name](_with([0.0] * 8, 1, np.nan))
    with pytest.raises(StatsError, match=r"^entry: expected length 8 \(same as time\), got 3$"):
        ENTRY[name]([0.0] * 3)


WEIGHTS: dict[str, tuple[Callable[[Any], object], bool]] = {
    # name: (call, whether a zero weight is allowed: R survfit yes, R coxph no)
    "kaplan_meier": (lambda w: kaplan_meier(TIME, EVENT, weights=w), True),
    "kaplan_meier_by": (lambda w: kaplan_meier_by(TIME, EVENT, ARM, weights=w), True),
    "cox_ph": (lambda w: cox_ph(TIME, EVENT, ARM, weights=w), False),
}


@pytest.mark.parametrize("name", sorted(WEIGHTS))
def test_case_weights_follow_r(name: str) -> None:
    call, zero_ok = WEIGHTS[name]
    bound = ">= 0" if zero_ok else "> 0"
    assert call([1.0, 2, 0.5, 1, 1, 1, 3, 1]) is not None
    with pytest.raises(StatsError, match=rf"^weights: values must be {bound}, got index 1: -1\.0$"):
        call(_with([1.0] * 8, 1, -1.0))
    with pytest.raises(StatsError, match=r"^weights: values must be finite, got index 1: inf$"):
        call(_with([1.0] * 8, 1, np.inf))
    zero = _with([1.0] * 8, 1, 0.0)
    if zero_ok:
        assert call(zero) is not None
    else:
        with pytest.raises(StatsError, match=r"^weights: values must be > 0, got index 1: 0\.0$"):
            call(zero)


CONF: dict[str, Callable[[float], object]] = {
    "kaplan_meier": lambda c: kaplan_meier(TIME, EVENT, conf_level=c),
    "rmst": lambda c: rmst(TIME, EVENT, tau=7, conf_level=c),
    "rmst_difference": lambda c: rmst_difference(TIME, EVENT, ARM, tau=7, conf_level=c),
    "cumulative_incidence": lambda c: cumulative_incidence(TIME, EVENT, conf_level=c),
    "cox_ph": lambda c: cox_ph(TIME, EVENT, ARM, conf_level=c),
    "landmark_analysis": lambda c: landmark_analysis(TIME, EVENT, RESPONSE, landmark=4, conf_level=c),
    "rpsft": lambda c: rpsft(TIME, EVENT, ARM, RX, conf_level=c),
    "binomial_ci": lambda c: binomial_ci(3, 8, conf_level=c),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CONF))
@pytest.mark.parametrize("level", [0.0, 1.0, 95.0, -0.5, float("nan")])
def test_conf_level_is_checked_alike(name: str, level: float) -> None:
    with pytest.raises(StatsError) as err:
        CONF[name](level)
    assert (
        str(err.value) == f"conf_level: expected a number strictly between 0 and 1, got {level!r}"
    )


@pytest.mark.parametrize("name", sorted(CONF))
@pytest.mark.parametrize("level", [0.5, 0.9, np.float64(0.95), 0.95])
def test_a_conf_level_inside_is_accepted(name: str, level: float) -> None:
    assert CONF[name](level) is not None
