"""The one way the end-to-end tests start the real command line: a fresh interpreter running
``plasmatrial.cli.app.main`` on the source tree, output captured, exit code checked by the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Terminal width for Rich (wide enough that tables and messages are not wrapped mid-word).
COLUMNS = 200


def run_cli(
    *args: str,
    cwd: Path | None = None,
    columns: int | None = COLUMNS,
    timeout: float = 900,
    env_extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``plasmatrial ARGS`` and return the completed process (never raises on exit code).

    ``columns=None`` leaves COLUMNS unset, as in a pipe or a CI log.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env_extra or {})}
    env.pop("COLUMNS", None)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-c", "from plasmatrial.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
