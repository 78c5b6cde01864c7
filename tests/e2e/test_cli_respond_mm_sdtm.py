"""``plasmatrial respond --disease mm`` from SDTM files with marrow clonality (LB ``BMCLON``) and
imaging (TU/TR), issue 10 item 9.

Fixture ``tests/e2e/data/mm_imaging/`` (hand-written; first dose 2024-01-10, LB baseline
2024-01-08):

* **MM-01** (κ): SPEP 2.0 g/dL, IFE positive, κ/λ 200/10, marrow PCs 40 % at baseline; at C4D1
  (2024-04-01) and C5D1 (2024-05-01) SPEP 0, serum and urine IFE negative, κ/λ 15/12 = 1.25 and
  14/12 = 1.17 (normal, 0.26-1.65), marrow PCs 2 % at C4D1 (carried to C5D1, latest exam). With
  the C4D1 LB record ``BMCLON = NEGATIVE`` (no clonal plasma cells by IHC) both visits are sCR,
  confirmed; without it sCR cannot be assessed and both are CR.
* **MM-02**: SPEP 2.0 → 0.9 (−55 %, PR) at C4D1, C5D1, C6D1 (2024-06-03). Target plasmacytoma
  P01 (TU) measured in TR: 40 × 30 mm = 12 cm² on 2024-01-02 (before the first dose → baseline
  row), 30 × 20 mm = 6 cm² on 2024-03-28 (→ C4D1, 4 days), 3.0 × 2.0 cm = 6 cm² on 2024-04-29
  (→ C5D1), 40 × 30 mm = 12 cm² on 2024-05-30 (→ C6D1). C4D1/C5D1: SPD −50 %, PR. C6D1: SPD
  +100 % from the nadir 6 cm² (≥ 50 %) → PD by imaging (P6.SPD). Without TU/TR: PR at C6D1.
* **MM-03**: SPEP 2.0 → 0.9 (PR) at C4D1 and C5D1; a non-target bone lesion at screening and a
  NEW soft-tissue plasmacytoma identified 2024-05-02 (→ C5D1, 1 day): PD (P6.NEWLESION) at C5D1.
  Without TU/TR: PR.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.e2e.cli import run_cli

DATA = Path(__file__).parent / "data" / "mm_imaging"


def _respond(tmp_path: Path, lb: Path, *extra: str) -> dict[tuple[str, str], str]:
    out = tmp_path / "resp.csv"
    res = run_cli(
        "respond",
        "--disease",
        "mm",
        "--dm",
        str(DATA / "dm.csv"),
        "--lb",
        str(lb),
        "--ex",
        str(DATA / "ex.csv"),
        *extra,
        "-o",
        str(out),
        "--show",
        "0",
    )
    assert res.returncode == 0, res.stderr + res.stdout
    visits = pl.read_csv(out)
    return {(s, d): a for s, d, a in visits.select("USUBJID", "ADT", "AVALC").iter_rows()}


def test_with_marrow_clonality_and_imaging(tmp_path: Path) -> None:
    calls = _respond(
        tmp_path, DATA / "lb.csv", "--tu", str(DATA / "tu.csv"), "--tr", str(DATA / "tr.csv")
    )
    assert calls == {
        ("MM-01", "2024-04-01"): "sCR",
        ("MM-01", "2024-05-01"): "sCR",
        ("MM-02", "2024-04-01"): "PR",
        ("MM-02", "2024-05-01"): "PR",
        ("MM-02", "2024-06-03"): "PD",
        ("MM-03", "2024-04-01"): "PR",
        ("MM-03", "2024-05-01"): "PD",
    }
    best = pl.read_csv(tmp_path / "resp.subjects.csv")
    assert dict(best.select("USUBJID", "PDDT").iter_rows()) == {
        "MM-01": None,
        "MM-02": "2024-06-03",
        "MM-03": "2024-05-01",
    }
    assert best.filter(pl.col("USUBJID") == "MM-01")["BESTRSP"].to_list() == ["sCR"]


def test_without_them_scr_is_cr_and_pd_is_missed(tmp_path: Path) -> None:
    lb = tmp_path / "lb_no_marrow_clonality.csv"
    pl.read_csv(DATA / "lb.csv", infer_schema=False).filter(
        pl.col("LBTESTCD") != "BMCLON"
    ).write_csv(lb)
    calls = _respond(tmp_path, lb)
    assert calls[("MM-01", "2024-04-01")] == calls[("MM-01", "2024-05-01")] == "CR"
    assert calls[("MM-02", "2024-06-03")] == "PR"
    assert calls[("MM-03", "2024-05-01")] == "PR"


@pytest.mark.parametrize("window", ["0", "3"])
def test_imaging_outside_the_window_is_a_clear_error(tmp_path: Path, window: str) -> None:
    """The 2024-03-28 scan is 4 days from C4D1 (2024-04-01): outside a 0- or 3-day window."""
    res = run_cli(
        "respond",
        "--disease",
        "mm",
        "--dm",
        str(DATA / "dm.csv"),
        "--lb",
        str(DATA / "lb.csv"),
        "--tu",
        str(DATA / "tu.csv"),
        "--tr",
        str(DATA / "tr.csv"),
        "--imaging-window",
        window,
        "-o",
        str(tmp_path / "o.csv"),
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    text = res.stdout + res.stderr
    assert "problems found in" in text and "tr.csv" in text
    assert "TRDTC" in text and "2024-03-28" in text  # the full message is checked in the unit tests


def test_validate_reports_tu_and_tr_problems_together(tmp_path: Path) -> None:
    """A TU result outside the vocabulary and a TR diameter in inches: both files, one run."""
    tu, tr = tmp_path / "tu.csv", tmp_path / "tr.csv"
    tu.write_text(
        (DATA / "tu.csv").read_text(encoding="utf-8").replace(",NEW,NEW,", ",NEW,MEASURABLE,"),
        encoding="utf-8",
    )
    tr.write_text(
        (DATA / "tr.csv").read_text(encoding="utf-8").replace("3.0,cm,2024", "3.0,in,2024"),
        encoding="utf-8",
    )
    args = ("--dm", str(DATA / "dm.csv"), "--lb", str(DATA / "lb.csv"))
    res = run_cli("validate", *args, "--tu", str(tu), "--tr", str(tr))
    assert res.returncode == 2
    text = res.stdout + res.stderr
    assert "Traceback" not in text
    assert "MEASURABLE" in text and "bad_value" in text
    assert "unknown_unit" in text and "TRSTRESU" in text
    ok = run_cli("validate", *args, "--tu", str(DATA / "tu.csv"), "--tr", str(DATA / "tr.csv"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK: 3 subjects, 10 assessments" in ok.stdout
