"""Bounded fuzz test (issue 13): mutated copies of ``examples/al/*.csv`` never crash the CLI.

Each example drops, duplicates or renames a column, corrupts cells, truncates the file, or
changes its delimiter, line ends or encoding; ``validate`` (and for a few examples ``respond``)
must then exit 0 or 2, print something, and never show a traceback. The commands run in-process
through :func:`plasmatrial.cli.app.main` (exactly what the console script runs) on a 4-subject
slice of the example cohort, so the whole test stays within a few seconds.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plasmatrial.cli.app import main

AL = Path(__file__).parents[2] / "examples" / "al"
_DM = pl.read_csv(AL / "dm.csv", infer_schema=False).head(4)
_IDS = _DM.get_column("USUBJID").implode()
TEXTS: dict[str, str] = {
    "dm": _DM.write_csv(),
    "lb": pl.read_csv(AL / "lb.csv", infer_schema=False)
    .filter(pl.col("USUBJID").is_in(_IDS))
    .write_csv(),
    "ex": pl.read_csv(AL / "ex.csv", infer_schema=False)
    .filter(pl.col("USUBJID").is_in(_IDS))
    .write_csv(),
}
CELLS = [
    "", " ", "NA", "NaN", "inf", "-1", "0", "1e400", "<5", "1,5", "2024-02-30", "2024-13-01",
    "2024-01-08T25:61", "9999-12-31", "mg/dL", "µg/L", "\u00a0", '"', "\x00", "é", "KAPPA",
]  # fmt: skip


def _split(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.splitlines()]


def _join(rows: list[list[str]]) -> str:
    return "\n".join(",".join(r) for r in rows) + "\n"


@st.composite
def mutation(draw: st.DrawFn, text: str) -> bytes:
    rows = _split(text)
    width = len(rows[0])
    kind = draw(
        st.sampled_from(
            ["drop", "dup", "rename", "lower", "cells", "truncate", "delim", "crlf", "cr", "latin1"]
        )
    )
    col = draw(st.integers(0, width - 1))
    encoding = "utf-8"
    if kind == "drop":
        rows = [r[:col] + r[col + 1 :] for r in rows]
    elif kind == "dup":
        rows = [[*r, r[col]] for r in rows]
    elif kind in ("rename", "lower"):
        new = rows[0][col].lower() if kind == "lower" else draw(st.sampled_from(["X", "", "AGE"]))
        rows[0] = [*rows[0][:col], new, *rows[0][col + 1 :]]
    elif kind == "cells":
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(1, len(rows) - 1))
            j = draw(st.integers(0, width - 1))
            if j < len(rows[i]):
                rows[i][j] = draw(st.sampled_from(CELLS))
    elif kind == "latin1":
        rows[1][min(col, len(rows[1]) - 1)] = "µg/L"
        encoding = "latin-1"
    out = _join(rows)
    if kind == "delim":
        out = out.replace(",", draw(st.sampled_from([";", "\t", "|"])))
    elif kind == "crlf":
        out = out.replace("\n", "\r\n")
    elif kind == "cr":
        out = out.replace("\n", "\r")
    data = out.encode(encoding)
    if kind == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    return data


def _run(args: list[str]) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue() + err.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    target=st.sampled_from(["dm", "lb", "ex"]),
    data=st.data(),
    respond=st.booleans(),
)
def test_mutated_inputs_exit_0_or_2_with_a_message(
    target: str, data: st.DataObject, respond: bool
) -> None:
    mutated = data.draw(mutation(TEXTS[target]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in TEXTS.items():
            (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        (folder / f"{target}.csv").write_bytes(mutated)
        files = ["--dm", str(folder / "dm.csv"), "--lb", str(folder / "lb.csv")]
        files += ["--ex", str(folder / "ex.csv")]
        if respond:
            args = ["respond", *files, "-o", str(folder / "out" / "o.csv"), "--show", "0"]
        else:
            args = ["validate", *files]
        code, output = _run(args)
    assert code in (0, 2), output
    assert output.strip()
    assert "Traceback" not in output
