"""``plasmatrial demo``: the end-to-end demonstration job that ``make demo`` runs.

Simulates the pomalidomide-dexamethasone AL amyloidosis phase 2 trial (AL-POMDEX-P2, 28 patients;
SDTM-like raw files), reads it back through the same validating intake a user's files go through,
adjudicates every subject-visit with the default AL rule set (per-visit calls and per-subject best
responses with explanations), then runs the whole trial analysis and writes the report
(``report.html``, ADaM datasets, ``results.json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from plasmatrial import DISCLAIMER, __version__
from plasmatrial.cli._common import read_table
from plasmatrial.cli.respond import respond_frames
from plasmatrial.cli.trial import DEMO_TRIAL, demo_trial_report, example_trial, read_trial
from plasmatrial.criteria import get_rule_set
from plasmatrial.intake import load_sdtm, write_frame
from plasmatrial.intake.outputs import output_folder

console = Console()

RESPONSE_ORDER = ("CR", "VGPR", "PR", "LDPR", "NR", "PROG", "NE")


def _demo_outputs(out: Path, seed: int, criteria: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Write the demo's data, ADaM, results, report, responses and subjects into ``out``."""
    demo_trial_report(out, seed, quiet=False)
    data = out / "data"
    paths = {name: data / f"{name}.csv" for name in ("dm", "lb", "ex")}
    bundle = load_sdtm(paths["dm"], paths["lb"], paths["ex"])
    cm = read_table(data / "cm.csv") if (data / "cm.csv").is_file() else None
    # The trial's responder categories and new-therapy records: subjects.csv and the ADaM
    # datasets of the report come from one derivation and agree subject by subject.
    trial = read_trial(example_trial(DEMO_TRIAL))
    primary = trial.primary[0].categories or None
    visits, subjects = respond_frames(
        bundle.assessments, bundle.dm, bundle.ex, criteria, cm=cm, responder=primary
    )
    write_frame(visits, out / "responses.csv")
    write_frame(subjects, out / "subjects.csv")
    return subjects, visits


def register(app: typer.Typer) -> None:
    """Attach ``demo`` to the root app."""

    @app.command("demo")
    def demo(
        out: Annotated[Path, typer.Option("--out", help="Output folder")] = Path("demo-output"),
        seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 20240601,
        criteria: Annotated[str, typer.Option("--criteria", help="AL rule set")] = "CR_2012_RATIO",
    ) -> None:
        """Simulate the AL pomalidomide-dexamethasone trial, explain every call, write the report."""
        console.print(
            f"[bold]plasmatrial {__version__} demo[/]: simulating AL-POMDEX-P2 "
            f"(pomalidomide-dexamethasone, AL amyloidosis, seed {seed}) and analysing it"
        )
        with output_folder(out) as staging:  # all or nothing, as ``run`` (decision 0765)
            subjects, visits = _demo_outputs(staging, seed, criteria)
        report = out / "report.html"
        rs = get_rule_set(criteria)
        hem = visits.filter(pl.col("PARAMCD") == "HEMRESP")
        # Show the subject whose course passes through the most categories.
        richest = (
            hem.group_by("USUBJID")
            .agg(pl.col("AVALC").n_unique().alias("k"))
            .sort(["k", "USUBJID"], descending=[True, False])["USUBJID"][0]
        )
        first = hem.filter(pl.col("USUBJID") == richest)
        table = Table(title=f"Per-visit hematologic calls, {first['USUBJID'][0]}")
        for col in ("visit", "date", "call", "rule", "explanation"):
            table.add_column(col, overflow="fold")
        for row in first.iter_rows(named=True):
            table.add_row(
                row["VISIT"], str(row["ADT"]), row["AVALC"], row["RULEID"], row["EXPLAIN"]
            )
        console.print(table)
        counts = subjects.group_by("BESTRSP").len().rename({"len": "n"})
        console.print(f"[bold]Best hematologic response[/] ({rs.name} v{rs.version})")
        best = Table()
        best.add_column("category")
        best.add_column("n", justify="right")
        best.add_column("%", justify="right")
        for cat in RESPONSE_ORDER:
            k = counts.filter(pl.col("BESTRSP") == cat)["n"].sum()
            if k:
                best.add_row(cat, str(k), f"{100 * k / subjects.height:.0f}")
        console.print(best)
        console.print(
            f"Wrote {out / 'responses.csv'} ({visits.height} calls with explanations) and "
            f"{out / 'subjects.csv'} ({subjects.height} subjects)."
        )
        console.print(f"Trial report: {report} (ADaM datasets in {out / 'adam'})")
        console.print(f"[dim]{DISCLAIMER}[/]")
