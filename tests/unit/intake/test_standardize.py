from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plasmatrial.intake import egfr_ckd_epi, standardize_lb
from plasmatrial.intake.analytes import ANALYTES
from plasmatrial.intake.units import UNIT_FACTORS, unit_key
from tests.unit.intake.conftest import lb_frame

#: Hand-computed eGFR values are given to 2 decimals.
ATOL_EGFR = 0.006


def test_unit_keys_do_not_clash() -> None:
    for analyte in ANALYTES:
        for spelling, factor in analyte.conversions.items():
            assert UNIT_FACTORS[(analyte.code, unit_key(spelling))] == factor


@given(
    st.lists(st.floats(min_value=0.5, max_value=5000.0, allow_nan=False), min_size=1, max_size=8)
)
def test_flc_in_mg_dl_relabelled_gives_identical_canonical_values(values: list[float]) -> None:
    def frame(unit: str, scale: float) -> pl.DataFrame:
        return lb_frame(
            [
                (f"S{i}", "FLCLAM", repr(v * scale), unit, "2024-01-05", "1")
                for i, v in enumerate(values)
            ]
        )

    in_mg_l = standardize_lb(frame("mg/L", 1.0)).sort("USUBJID")
    in_mg_dl = standardize_lb(frame("mg/dL", 0.1)).sort("USUBJID")
    assert in_mg_l.get_column("AVALU").to_list() == ["mg/L"] * len(values)
    for a, b in zip(in_mg_l.get_column("AVAL"), in_mg_dl.get_column("AVAL"), strict=True):
        assert math.isclose(a, b, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("code", "value", "unit", "canonical", "canonical_unit"),
    [
        pytest.param("KAPPA", "2.5", "mg/dL", 25.0, "mg/L", id="flc-mg-dl"),
        pytest.param("MPROT", "12", "g/L", 1.2, "g/dL", id="spep-g-l"),
        pytest.param("UMPROT", "0.35", "g/24 h", 350.0, "mg/24h", id="upep-g-24h"),
        pytest.param("NTPROBNP", "1200", "pg/mL", 1200.0, "ng/L", id="ntprobnp-pg-ml"),
        pytest.param("TROPT", "35", "ng/L", 0.035, "ug/L", id="tnt-ng-l"),
        pytest.param("CREAT", "88.4", "µmol/L", 1.0, "mg/dL", id="creat-umol"),
        pytest.param("PLAT", "150000", "/mm3", 150.0, "10^9/L", id="platelets-mm3"),
        pytest.param("NYHA", "III", None, 3.0, "", id="nyha-roman"),
    ],
)
def test_conversions(
    code: str, value: str, unit: str | None, canonical: float, canonical_unit: str
) -> None:
    out = standardize_lb(lb_frame([("S1", code, value, unit, "2024-01-05", "1")]))
    assert out.get_column("AVAL")[0] == pytest.approx(canonical, rel=1e-12)
    assert out.get_column("AVALU")[0] == canonical_unit
    assert out.get_column("LBORRES")[0] == value  # provenance kept


def test_ife_standardised_and_dates_parsed() -> None:
    out = standardize_lb(lb_frame([("S1", "IFES", "neg", None, "2024-01-05T08:30", "1")]))
    assert out.row(0, named=True)["AVALC"] == "NEGATIVE"
    assert out.row(0, named=True)["LBTESTCD"] == "SIFE"
    assert str(out.row(0, named=True)["ADT"]) == "2024-01-05"


# Hand-checkable values: where Scr equals kappa both ratio terms are 1, so eGFR is
# scale × age_base^age (× female factor); e.g. 141 × 0.993^50 = 99.2365...; above kappa,
# male 60 y, Scr 1.8 mg/dL: 141 × 2^-1.209 × 0.993^60 = 141 × 0.43257 × 0.65607 = 40.02;
# below kappa, male 40 y, Scr 0.45: 141 × 0.5^-0.411 × 0.993^40 = 141 × 1.32966 × 0.75500 = 141.55;
# 2021, female 70 y, Scr 1.4: 142 × 2^-1.2 × 0.9938^70 × 1.012 = 40.47.
@pytest.mark.parametrize(
    ("scr", "age", "sex", "black", "equation", "expected"),
    [
        pytest.param(0.9, 50, "M", False, "CKD-EPI 2009", 99.24, id="2009-male-at-kappa"),
        pytest.param(0.7, 50, "F", False, "CKD-EPI 2009", 101.03, id="2009-female-at-kappa"),
        pytest.param(0.7, 50, "F", True, "CKD-EPI 2009", 117.09, id="2009-female-black"),
        pytest.param(1.8, 60, "M", False, "CKD-EPI 2009", 40.02, id="2009-male-above-kappa"),
        pytest.param(0.45, 40, "M", False, "CKD-EPI 2009", 141.55, id="2009-male-below-kappa"),
        pytest.param(0.9, 50, "M", False, "CKD-EPI 2021", 104.05, id="2021-male-at-kappa"),
        pytest.param(0.9, 50, "M", True, "CKD-EPI 2021", 104.05, id="2021-ignores-race"),
        pytest.param(1.4, 70, "F", False, "CKD-EPI 2021", 40.47, id="2021-female-above-kappa"),
    ],
)
def test_ckd_epi_hand_values(
    scr: float, age: float, sex: str, black: bool, equation: str, expected: float
) -> None:
    got = egfr_ckd_epi(scr, age, sex, black=black, equation=equation)  # type: ignore[arg-type]
    assert got == pytest.approx(expected, abs=ATOL_EGFR)


def test_ckd_epi_2021_matches_published_calculator_example() -> None:
    # NKF CKD-EPI 2021 calculator: male, 50 years, creatinine 1.0 mg/dL -> 92 (rounded)
    got = egfr_ckd_epi(1.0, 50, "M", equation="CKD-EPI 2021")
    assert round(got) == 92


def test_egfr_derived_only_where_missing() -> None:
    dm = pl.DataFrame({"USUBJID": ["S1"], "AGE": ["60"], "SEX": ["M"], "RACE": ["WHITE"]})
    lb = lb_frame(
        [
            ("S1", "CREAT", "1.8", "mg/dL", "2024-01-05", "1"),
            ("S1", "CREAT", "1.0", "mg/dL", "2024-02-05", "2"),
            ("S1", "EGFR", "70", "mL/min/1.73m2", "2024-02-05", "2"),
        ]
    )
    out = standardize_lb(lb, dm).filter(pl.col("LBTESTCD") == "EGFR").sort("ADT")
    assert out.get_column("EGFRMETH").to_list() == ["CKD-EPI 2009", "REPORTED"]
    assert out.get_column("AVAL")[0] == pytest.approx(40.02, abs=ATOL_EGFR)
    assert out.get_column("AVAL")[1] == 70.0


def test_egfr_2021_selectable_and_race_coefficient_labelled() -> None:
    dm = pl.DataFrame(
        {"USUBJID": ["S1"], "AGE": ["50"], "SEX": ["F"], "RACE": ["BLACK OR AFRICAN AMERICAN"]}
    )
    lb = lb_frame([("S1", "CREAT", "0.7", "mg/dL", "2024-01-05", "1")])
    e09 = standardize_lb(lb, dm).filter(pl.col("LBTESTCD") == "EGFR")
    e21 = standardize_lb(lb, dm, egfr_equation="CKD-EPI 2021").filter(pl.col("LBTESTCD") == "EGFR")
    assert e09.get_column("EGFRMETH")[0] == "CKD-EPI 2009 (race coefficient)"
    assert e09.get_column("AVAL")[0] == pytest.approx(117.09, abs=ATOL_EGFR)
    assert e21.get_column("EGFRMETH")[0] == "CKD-EPI 2021"
