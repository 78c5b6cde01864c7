"""The notebook API (``import plasmatrial as pt``): lazy imports, reading, ``respond`` (issue 11)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import plasmatrial as pt
from plasmatrial.cli.trial import write_trial_data
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import read_domain
from plasmatrial.synth import simulate_trial_data
from tests.e2e.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
TRIAL = ROOT / "examples" / "trials" / "al_pomdex_phase2.yaml"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("api") / "data"
    write_trial_data(simulate_trial_data(pt.read_trial(TRIAL), seed=3), folder)
    return folder


@pytest.fixture(scope="module")
def study(data: Path) -> pt.intake.SdtmBundle:
    return pt.read_sdtm(data / "dm.csv", data / "lb.csv", data / "ex.csv")


@pytest.fixture(scope="module")
def response(study: pt.intake.SdtmBundle, data: Path) -> pt.ResponseResult:
    return pt.respond(study, cm=data / "cm.csv")


def _loaded_after(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    return set(out.stdout.split())


def test_import_plasmatrial_and_the_cli_load_no_heavy_library() -> None:
    heavy = {"scipy", "matplotlib", "polars", "numpy"}
    assert _loaded_after("import plasmatrial as pt") & heavy == set()
    assert _loaded_after("from plasmatrial.cli.app import app") & {"scipy", "matplotlib"} == set()


def test_every_public_name_resolves() -> None:
    for name in pt.__all__:
        assert getattr(pt, name) is not None
    for package in (pt.stats, pt.design, pt.endpoints, pt.criteria):
        assert isinstance(package, types.ModuleType)
        assert package.__all__
        for name in package.__all__:
            assert callable(getattr(package, name)), f"{package.__name__}.{name}"
    assert {"kaplan_meier", "cox_ph", "logrank_test", "rmst"} <= set(dir(pt.stats))


def test_a_function_named_like_its_module_stays_the_function() -> None:
    import plasmatrial.stats.rmst
    import plasmatrial.stats.rpsft
    from plasmatrial.stats.rmst import rmst

    assert pt.stats.rmst is rmst
    assert isinstance(pt.stats.rpsft, types.FunctionType)
    assert isinstance(sys.modules["plasmatrial.stats.rmst"], types.ModuleType)
    assert plasmatrial.stats.rmst is rmst  # the attribute, not the submodule


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = pt.nope  # type: ignore[attr-defined]


def test_read_sdtm_takes_frames_or_paths_alike(data: Path, study: pt.intake.SdtmBundle) -> None:
    dm = read_domain(data / "dm.csv", "DM")
    from_frames = pt.read_sdtm(dm, data / "lb.csv", read_domain(data / "ex.csv", "EX"))
    assert_frame_equal(from_frames.assessments, study.assessments)


def test_read_sdtm_lists_every_problem_of_frames() -> None:
    dm = pl.DataFrame({"USUBJID": ["S1"], "AGE": [60]})
    with pytest.raises(pt.IntakeError) as err:
        pt.read_sdtm(dm, pl.DataFrame({"USUBJID": ["S1"]}))
    files = {p.file for p in err.value.problems}
    assert {"DM", "LB"} <= files


def test_respond_is_what_the_cli_writes(data: Path, response: pt.ResponseResult) -> None:
    out = data.parent / "cli" / "resp.parquet"
    res = run_cli(
        "respond",
        *("--dm", str(data / "dm.csv"), "--lb", str(data / "lb.csv")),
        *("--ex", str(data / "ex.csv"), "--cm", str(data / "cm.csv")),
        *("-o", str(out), "--show", "0"),
    )
    assert res.returncode == 0, res.stderr
    assert_frame_equal(pl.read_parquet(out), response.visits)
    assert_frame_equal(pl.read_parquet(out.with_name("resp.subjects.parquet")), response.subjects)


def test_response_result_counts_and_summary(response: pt.ResponseResult) -> None:
    assert response.rule_set == "CR_2012_RATIO"
    assert response.disease == "al"
    assert response.n_subjects == 28
    summary = response.summary()
    assert summary["n"].sum() == response.n_subjects
    responders = summary.filter(pl.col("BESTRSP").is_in(["CR", "VGPR", "PR", "LDPR"]))["n"].sum()
    assert responders == response.n_responders
    assert "n_responders=" in repr(response)


def test_explain_reads_one_subjects_calls(response: pt.ResponseResult) -> None:
    row = response.subjects.row(1, named=True)
    text = response.explain(row["USUBJID"])
    lines = text.splitlines()
    assert lines[0] == f"{row['USUBJID']}: CR_2012_RATIO v{response.version} (AL)"
    assert lines[1].startswith(f"Best response: {row['BESTRSP']}")
    assert row["BESTEXPL"] in text
    first = (
        response.visits.filter(pl.col("USUBJID") == row["USUBJID"]).sort("ADT").row(0, named=True)
    )
    assert any(line.startswith(str(first["ADT"])) for line in lines)
    assert f"[{first['RULEID']}]" in text
    other = response.subjects.row(0, named=True)["USUBJID"]
    assert other not in text


def test_explain_unknown_subject() -> None:
    res = pt.ResponseResult(
        pl.DataFrame({"USUBJID": ["A"], "ADT": [None]}),
        pl.DataFrame({"USUBJID": ["A"]}),
        rule_set="CR_2012_RATIO",
        version="1",
        disease="al",
    )
    with pytest.raises(PlasmatrialError, match="subject 'B' not in the data"):
        res.explain("B")


def test_respond_refuses_rule_sets_of_another_disease(study: pt.intake.SdtmBundle) -> None:
    with pytest.raises(PlasmatrialError, match=r"is for .*, not AL"):
        pt.respond(study, "IMWG_2016", disease="al")
    with pytest.raises(PlasmatrialError, match="responder: XX not a CR_2012_RATIO category"):
        pt.respond(study, responder=["XX"])


def test_respond_takes_the_disease_from_the_rule_set(study: pt.intake.SdtmBundle) -> None:
    # IMWG_2016 names myeloma: AL data are refused by the myeloma data check, as on the CLI
    with pytest.raises(PlasmatrialError, match="--disease mm"):
        pt.respond(study, "IMWG_2016")


def test_read_trial_data_and_run_trial(data: Path) -> None:
    inputs = pt.read_trial_data(data)
    assert inputs.dm.height == 28
    assert set(inputs.file_hashes) >= {"dm.csv", "lb.csv", "generator.json"}
    with pytest.raises(PlasmatrialError, match="not a folder"):
        pt.read_trial_data(data / "missing")
    with pytest.raises(PlasmatrialError, match="trial file not found"):
        pt.read_trial(data / "missing.yaml")
