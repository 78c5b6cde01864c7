"""``plasmatrial design ...``: trial design tools (Simon, 3+3, BOIN, log-rank sample size).

The design modules (scipy) are imported inside each command so that other commands start fast.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from plasmatrial import DISCLAIMER
from plasmatrial.cli._common import echo_json
from plasmatrial.errors import DesignError

design_app = typer.Typer(help="Trial design: Simon two-stage, 3+3, BOIN, log-rank sample size.")
console = Console()


def _floats(text: str, name: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise DesignError(f"{name} must be comma-separated numbers, got {text!r}") from exc


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for col in columns:
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


@design_app.command("simon")
def simon_cmd(
    p0: float = typer.Option(..., "--p0", help="Uninteresting response rate (H0)."),
    p1: float = typer.Option(..., "--p1", help="Target response rate (H1)."),
    alpha: float = typer.Option(0.05, "--alpha", help="Type I error bound."),
    beta: float = typer.Option(0.2, "--beta", help="Type II error bound."),
    nmax: int = typer.Option(100, "--nmax", help="Largest maximum sample size searched."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Simon optimal, minimax and admissible two-stage designs (clinfun conventions)."""
    from plasmatrial.design.simon import exact_single_stage, simon_two_stage

    res = simon_two_stage(p0, p1, alpha=alpha, beta=beta, nmax=nmax)
    single = exact_single_stage(p0, p1, alpha, beta)
    if as_json:
        echo_json({**res.to_dict(), "single_stage": single.to_dict(), "disclaimer": DISCLAIMER})
        return
    rows = [
        [
            d.kind,
            f"{d.r1}/{d.n1}",
            f"{d.r}/{d.n}",
            d.en_p0,
            d.pet_p0,
            d.alpha,
            d.power,
            "" if d.q_range is None else f"[{d.q_range[0]:.3f}, {d.q_range[1]:.3f}]",
        ]
        for d in (res.optimal, res.minimax, *res.admissible)
    ]
    _table(
        f"Simon two-stage: p0={p0}, p1={p1}, alpha={alpha}, beta={beta}",
        ["design", "r1/n1", "r/n", "EN(p0)", "PET(p0)", "alpha", "power", "q range"],
        rows,
    )
    console.print(
        "Stop after stage 1 if <= r1 responses in n1; declare ineffective if <= r in n. "
        f"Exact single stage: reject H0 if > {single.r} of {single.n} respond "
        f"(alpha {single.alpha:.4f}, power {single.power:.4f})."
    )


@design_app.command("threeplusthree")
def three_plus_three_cmd(
    tox: str = typer.Option(..., "--tox", help="True DLT probabilities, comma-separated."),
    doses: str = typer.Option("", "--doses", help="Dose labels, comma-separated."),
    start: int = typer.Option(0, "--start", help="Index of the starting dose."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Exact operating characteristics of the 3+3 design."""
    from plasmatrial.design.dose_escalation import three_plus_three

    labels = [d.strip() for d in doses.split(",")] if doses else None
    res = three_plus_three(_floats(tox, "--tox"), start=start, doses=labels)
    if as_json:
        echo_json({**res.to_dict(), "disclaimer": DISCLAIMER})
        return
    rows = [["below lowest", "", res.prob_below_lowest, "", ""]]
    rows += [
        [d, float(p), float(s), float(n), float(t)]
        for d, p, s, n, t in zip(
            res.doses, res.tox, res.prob_mtd, res.expected_patients, res.expected_dlts, strict=True
        )
    ]
    _table("3+3 design", ["dose", "P(DLT)", "P(MTD)", "E(patients)", "E(DLTs)"], rows)
    console.print(
        f"Expected patients {res.expected_total_patients:.2f}, expected DLTs "
        f"{res.expected_total_dlts:.2f}, DLT rate {res.dlt_rate:.3f}. "
        "MTD = highest dose with <= 1 DLT in 6 patients."
    )


@design_app.command("boin")
def boin_cmd(
    target: float = typer.Option(..., "--target", help="Target DLT probability."),
    max_n: int = typer.Option(12, "--max-n", help="Rows of the decision table."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """BOIN boundaries and decision table (Liu & Yuan 2015)."""
    from plasmatrial.design.dose_escalation import boin_boundaries

    res = boin_boundaries(target, max_n=max_n)
    if as_json:
        echo_json({**res.to_dict(), "disclaimer": DISCLAIMER})
        return
    console.print(
        f"BOIN target {target}: lambda_e = {res.lambda_e:.4f}, lambda_d = {res.lambda_d:.4f}"
    )
    rows = [
        [int(n), int(e), int(d), "-" if m < 0 else int(m)]
        for n, e, d, m in zip(
            res.n_treated, res.escalate_max, res.deescalate_min, res.eliminate_min, strict=True
        )
    ]
    _table(
        "BOIN decisions",
        ["n treated", "escalate if DLT <=", "de-escalate if >=", "eliminate if >="],
        rows,
    )


@design_app.command("logrank")
def logrank_cmd(
    hr: float = typer.Option(..., "--hr", help="Hazard ratio treatment/control under H1."),
    alpha: float = typer.Option(
        0.025, "--alpha", help="Type I error (one-sided unless --sided 2)."
    ),
    power: float = typer.Option(0.8, "--power", help="Target power."),
    ratio: float = typer.Option(1.0, "--ratio", help="Allocation treatment:control."),
    sided: int = typer.Option(1, "--sided", help="1 or 2."),
    accrual: float = typer.Option(..., "--accrual", help="Accrual period (months)."),
    follow_up: float = typer.Option(..., "--follow-up", help="Follow-up after accrual (months)."),
    median_control: float = typer.Option(8.0, "--median-control", help="Control median (months)."),
    dropout: float = typer.Option(0.0, "--dropout", help="Dropout proportion by 12 months."),
    looks: int = typer.Option(1, "--looks", help="Number of looks (O'Brien-Fleming spending)."),
    method: str = typer.Option("schoenfeld", "--method", help="schoenfeld or freedman."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Events and patients for a log-rank test (rpact getSampleSizeSurvival conventions)."""
    from plasmatrial.design.sample_size import sample_size_logrank

    if sided not in (1, 2):
        raise DesignError(f"--sided must be 1 or 2, got {sided}")
    if method not in ("schoenfeld", "freedman"):
        raise DesignError(f"--method must be schoenfeld or freedman, got {method!r}")
    res = sample_size_logrank(
        hr,
        alpha=alpha,
        power=power,
        ratio=ratio,
        sided=1 if sided == 1 else 2,
        accrual=accrual,
        follow_up=follow_up,
        median_control=median_control,
        dropout_rate=dropout,
        method="schoenfeld" if method == "schoenfeld" else "freedman",
        k_max=looks,
    )
    if as_json:
        echo_json({**res.to_dict(), "disclaimer": DISCLAIMER})
        return
    _table(
        f"Log-rank sample size: HR {hr}, alpha {alpha} ({sided}-sided), power {power}, ratio {ratio}:1",
        ["quantity", "value", "rounded up"],
        [
            ["events", res.events, res.events_rounded],
            ["patients", res.n_total, res.n_total_rounded],
            ["treatment arm", res.n_treatment, res.n_treatment_rounded],
            ["control arm", res.n_control, res.n_control_rounded],
            ["P(event) treatment", res.prob_event_treatment, ""],
            ["P(event) control", res.prob_event_control, ""],
            ["study duration", res.study_duration, ""],
            ["expected events (H1)", res.expected_events_h1, ""],
            ["expected duration (H1)", res.expected_duration_h1, ""],
        ],
    )
    if looks > 1:
        d = res.design
        _table(
            "O'Brien-Fleming-type boundaries",
            ["look", "events", "time", "z boundary", "nominal level", "alpha spent"],
            [
                [k + 1, float(e), float(t), float(c), float(s), float(a)]
                for k, (e, t, c, s, a) in enumerate(
                    zip(
                        res.events_per_stage,
                        res.analysis_times,
                        d.critical_values,
                        d.stage_levels,
                        d.alpha_spent,
                        strict=True,
                    )
                )
            ],
        )


def register(app: typer.Typer) -> None:
    """Attach the ``design`` group to the root app."""
    app.add_typer(design_app, name="design")
