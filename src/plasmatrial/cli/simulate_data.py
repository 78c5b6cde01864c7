"""``plasmatrial simulate-data TRIAL.yaml --out DIR [--seed N]``: virtual patients of a trial.

Writes SDTM-like raw data (dm, lb, ex, ae, ds, qs, rs, pr, cm CSV files, atomically) whose analysis
reproduces the trial's published figures; see :func:`plasmatrial.synth.simulate_trial_data`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from plasmatrial.cli._progress import QUIET_HELP, stderr_progress
from plasmatrial.cli.trial import DATA_FOLDER_NAMES, read_trial, write_trial_data
from plasmatrial.intake.outputs import output_folder
from plasmatrial.synth import TrialData, simulate_trial_data
from plasmatrial.synth.trials import OS_ITERATIONS

console = Console()


def register(app: typer.Typer) -> None:
    """Attach ``simulate-data`` to the root app."""

    @app.command("simulate-data")
    def simulate_data(
        trial_file: Annotated[Path, typer.Argument(help="Trial definition (YAML)")],
        out: Annotated[Path, typer.Option("--out", help="Output folder")],
        seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 20240601,
        quiet: Annotated[bool, typer.Option("--quiet", help=QUIET_HELP)] = False,
    ) -> None:
        """Simulate raw trial data (DM, LB, EX, AE, DS, QS, RS, PR, CM) for a trial file."""
        trial = read_trial(trial_file)  # size, encoding and every problem with its line
        with (
            output_folder(out, owned=DATA_FOLDER_NAMES) as staging,
            stderr_progress(quiet=quiet) as progress,
        ):
            # One step per calibration pass (each simulates every domain), then the writing.
            task = progress.add_task(f"simulating {trial.id}", total=OS_ITERATIONS + 1)

            def on_pass(k: int, n: int) -> None:
                progress.update(
                    task, completed=k - 1, description=f"simulating {trial.id}, pass {k}/{n}"
                )

            data = simulate_trial_data(trial, seed=seed, on_pass=on_pass)
            progress.update(
                task,
                completed=OS_ITERATIONS,
                description=f"writing {len(TrialData.DOMAINS)} domains",
            )
            write_trial_data(data, staging)
            progress.update(task, completed=OS_ITERATIONS + 1)
        counts = data.to_dict()
        console.print(
            f"{trial.id}: {counts['dm']} subjects, {counts['lb']} lab records, "
            f"{counts['ae']} adverse events (seed {seed}, cut-off {data.notes['data_cutoff']}) "
            f"-> {out}"
        )
