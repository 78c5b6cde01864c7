"""Read a trial file and a trial's data folder (the readers behind ``plasmatrial run`` and the API).

The data folder holds one file per domain named after it (``dm.csv``, ``lb.parquet``...): DM and
LB are required; EX and the optional domains of
:data:`plasmatrial.trial.inputs.OPTIONAL_DOMAINS` are read when present. A ``generator.json``
written by the virtual-patient generator is kept as provenance, and every file read is hashed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Final

import polars as pl

from plasmatrial.design.protocol import Trial, parse_trial
from plasmatrial.design.yaml_source import MAX_YAML_BYTES
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.io import read_table
from plasmatrial.intake.readers import read_domain
from plasmatrial.trial.inputs import OPTIONAL_DOMAINS, TrialInputs

#: File extensions a domain file may have, in the order they are looked for.
SUFFIXES: Final = (".csv", ".parquet", ".pq", ".xpt", ".sas7bdat")


def read_trial(path: str | Path) -> Trial:
    """Read and validate a trial file (YAML).

    Parameters
    ----------
    path : str or Path
        The trial definition (``examples/trials/*.yaml``; ``docs/decisions/0009-trial-files.md``).

    Returns
    -------
    Trial
        The validated trial.

    Raises
    ------
    PlasmatrialError
        The file is missing, unreadable, larger than 1 MB or not UTF-8.
    DesignError
        The file is not a valid trial (every problem, with its YAML location).
    """
    path = Path(path)
    if not path.is_file():
        raise PlasmatrialError(f"trial file not found: {path}")
    size = path.stat().st_size
    if size > MAX_YAML_BYTES:  # refused before reading (decision 0747)
        raise PlasmatrialError(f"{path}: {size:,} bytes; a trial file may have {MAX_YAML_BYTES:,}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlasmatrialError(f"TRIAL_FILE: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise PlasmatrialError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    return parse_trial(text, source=str(path))


def find_domain(folder: Path, name: str) -> Path | None:
    """The file of domain ``name`` in ``folder`` (lower or upper case stem, any of SUFFIXES)."""
    for suffix in SUFFIXES:
        for stem in (name, name.upper()):
            p = folder / f"{stem}{suffix}"
            if p.is_file():
                return p
    return None


def sha256(path: Path) -> str:
    """SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_trial_data(folder: str | Path) -> TrialInputs:
    """Read every domain present in a trial's data folder.

    Parameters
    ----------
    folder : str or Path
        Folder with ``dm`` and ``lb`` files (required) and ``ex``, ``ae``, ``ds``, ``qs``,
        ``rs``, ``pr``, ``cm``, ``tu``, ``tr``, ``sv`` (optional), as written by
        ``plasmatrial demo`` or ``plasmatrial simulate-data``.

    Returns
    -------
    TrialInputs
        The raw frames, the SHA-256 of every file read and the generator record, ready for
        :func:`plasmatrial.trial.run_trial`.

    Raises
    ------
    PlasmatrialError
        Not a folder, DM or LB missing, or an unreadable ``generator.json``.
    IntakeError
        A DM, LB or EX file that cannot be read as its domain.

    Notes
    -----
    1. DM, LB and EX are read with :func:`plasmatrial.intake.read_domain` (domain checks of the
       reader); the optional domains as plain tables (CSV or Parquet), checked later by
       :meth:`TrialInputs.validate`.
    2. ``generator.json`` (seed and trial of simulated data) is recorded as provenance.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PlasmatrialError(f"--data: not a folder: {folder}")
    frames: dict[str, pl.DataFrame | None] = {}
    hashes: dict[str, str] = {}
    for name in ("dm", "lb", "ex"):
        p = find_domain(folder, name)
        if p is None:
            if name != "ex":
                raise PlasmatrialError(f"--data {folder}: no {name}.csv/.parquet/.xpt file")
            frames[name] = None
            continue
        frames[name] = read_domain(p, name.upper())  # type: ignore[arg-type]
        hashes[p.name] = sha256(p)
    for name in OPTIONAL_DOMAINS:
        p = find_domain(folder, name)
        if p is None:
            frames[name] = None
            continue
        frames[name] = read_table(p)
        hashes[p.name] = sha256(p)
    generator = None
    gen = folder / "generator.json"
    if gen.is_file():
        try:
            generator = json.loads(gen.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PlasmatrialError(f"{gen}: not valid JSON: {exc}") from None
        hashes[gen.name] = sha256(gen)
    dm, lb = frames.pop("dm"), frames.pop("lb")
    assert dm is not None and lb is not None
    return TrialInputs(dm=dm, lb=lb, file_hashes=hashes, generator=generator, **frames)
