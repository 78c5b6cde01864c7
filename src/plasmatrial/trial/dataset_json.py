"""CDISC Dataset-JSON v1.1 for analysis datasets: build the document from a polars frame and back.

The document is a dict (``json.dumps`` it to write); only the top-level structure of Dataset-JSON
v1.1 is produced: ``datasetJSONCreationDateTime``, ``datasetJSONVersion``, ``fileOID``,
``originator``, ``sourceSystem``, ``studyOID``, ``itemGroupOID``, ``records``, ``name``,
``label``, ``columns`` (``itemOID``, ``name``, ``label``, ``dataType``, optional ``length``,
``keySequence``) and ``rows`` (arrays in column order).

Type mapping: strings ``string``; integers ``integer``; floats ``double``; booleans
``boolean``; dates ``date`` (ISO 8601 ``YYYY-MM-DD``); datetimes ``datetime``. Non-finite
doubles are written as ``null`` (JSON has no NaN).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import polars as pl

from plasmatrial import __version__
from plasmatrial.errors import PlasmatrialError

DATASET_JSON_VERSION: Final = "1.1.0"
_TO_POLARS: Final[Mapping[str, Any]] = {
    "string": pl.Utf8,
    "integer": pl.Int64,
    "double": pl.Float64,
    "float": pl.Float64,
    "decimal": pl.Float64,
    "boolean": pl.Boolean,
    "date": pl.Date,
    "datetime": pl.Datetime("us"),
}


def _data_type(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "double"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    return "string"


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "double":
        f = float(value)
        return f if math.isfinite(f) else None
    if kind in ("date", "datetime"):
        return value.isoformat()
    if kind == "string" and not isinstance(value, str):
        return str(value)
    return value


#: Labels of the ADaM datasets the trial pipeline writes (their Dataset-JSON ``label``).
ADAM_LABELS: Final[dict[str, str]] = {
    "ADSL": "Subject-Level Analysis Dataset",
    "ADRS": "Response Analysis Dataset",
    "ADTTE": "Time-to-Event Analysis Dataset",
    "ADEX": "Exposure Analysis Dataset",
    "ADAE": "Adverse Events Analysis Dataset",
    "ADLB": "Laboratory Toxicity Grades",
    "ADQS": "Questionnaire (EQ-5D-5L) Analysis Dataset",
}
#: Key variables of those datasets (Dataset-JSON ``keySequence``).
ADAM_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "ADSL": ("USUBJID",),
    "ADRS": ("USUBJID", "PARAMCD", "ADT"),
    "ADTTE": ("USUBJID", "PARAMCD"),
}


def adam_dataset_json(
    frame: pl.DataFrame, *, name: str, study_oid: str, created: dt.datetime | None = None
) -> dict[str, Any]:
    """:func:`to_dataset_json` of one ADaM dataset of the trial pipeline, with its label and
    keys (:data:`ADAM_LABELS`, :data:`ADAM_KEYS`), as ``plasmatrial run`` and the workbench's
    analyses write it."""
    return to_dataset_json(
        frame,
        name=name,
        label=ADAM_LABELS.get(name, name),
        study_oid=study_oid,
        keys=ADAM_KEYS.get(name, ()),
        created=created,
    )


def to_dataset_json(
    frame: pl.DataFrame,
    *,
    name: str,
    label: str = "",
    study_oid: str = "",
    labels: Mapping[str, str] | None = None,
    keys: Sequence[str] = (),
    created: dt.datetime | None = None,
) -> dict[str, Any]:
    """Dataset-JSON v1.1 document of one dataset.

    Parameters
    ----------
    frame:
        The dataset; nested or list columns are written as their string form.
    name:
        Dataset name (``ADSL``); ``itemGroupOID`` is ``IG.<name>``.
    label:
        Dataset label.
    study_oid:
        ``studyOID`` (e.g. the trial id).
    labels:
        Column labels (default: the column name).
    keys:
        Key variables, in order (``keySequence``).
    created:
        Creation time (default: now, UTC).

    Returns
    -------
    dict
        JSON-ready document.
    """
    columns = _columns(frame, name, labels or {}, keys)
    rows = _rows(frame, [c["dataType"] for c in columns])
    return _document(frame, name, label, study_oid, columns, created) | {"rows": rows}


def _columns(
    frame: pl.DataFrame, name: str, labels: Mapping[str, str], keys: Sequence[str]
) -> list[dict[str, Any]]:
    columns: list[dict[str, Any]] = []
    for c in frame.columns:
        kind = _data_type(frame.schema[c])
        col: dict[str, Any] = {
            "itemOID": f"IT.{name}.{c}",
            "name": c,
            "label": labels.get(c, c),
            "dataType": kind,
        }
        if kind == "string":
            lengths = frame[c].cast(pl.Utf8).str.len_chars().drop_nulls()
            col["length"] = max(1, int(lengths.max())) if lengths.len() else 1  # type: ignore[arg-type]
        if c in keys:
            col["keySequence"] = list(keys).index(c) + 1
        columns.append(col)
    return columns


def _rows(frame: pl.DataFrame, kinds: Sequence[str]) -> list[list[Any]]:
    return [[_cell(v, k) for v, k in zip(row, kinds, strict=True)] for row in frame.iter_rows()]


def _document(
    frame: pl.DataFrame,
    name: str,
    label: str,
    study_oid: str,
    columns: list[dict[str, Any]],
    created: dt.datetime | None,
) -> dict[str, Any]:
    """The document without its ``rows``."""
    when = created or dt.datetime.now(dt.UTC)
    return {
        "datasetJSONCreationDateTime": when.replace(microsecond=0).isoformat(),
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"plasmatrial.{study_oid}.{name}" if study_oid else f"plasmatrial.{name}",
        "originator": "plasmatrial",
        "sourceSystem": {"name": "plasmatrial", "version": __version__},
        "studyOID": study_oid,
        "itemGroupOID": f"IG.{name}",
        "records": frame.height,
        "name": name,
        "label": label or name,
        "columns": columns,
    }


def dataset_json_text(
    frame: pl.DataFrame,
    *,
    name: str,
    study_oid: str = "",
    created: dt.datetime | None = None,
    chunk_rows: int = 20_000,
) -> Iterator[str]:
    """``json.dumps(adam_dataset_json(...), allow_nan=False)`` in pieces, ``chunk_rows`` rows at
    a time: the same text, without the whole document and its text in memory at once (most of
    ``plasmatrial run``'s peak memory, decision 0902). ``"".join`` of the pieces is the text.
    """
    columns = _columns(frame, name, {}, ADAM_KEYS.get(name, ()))
    label = ADAM_LABELS.get(name, name)
    head = json.dumps(_document(frame, name, label, study_oid, columns, created), allow_nan=False)
    yield head[:-1] + ', "rows": ['
    kinds = [c["dataType"] for c in columns]
    for start in range(0, frame.height, chunk_rows):
        text = json.dumps(_rows(frame.slice(start, chunk_rows), kinds), allow_nan=False)
        yield (", " if start else "") + text[1:-1]
    yield "]}"


def from_dataset_json(document: Mapping[str, Any]) -> pl.DataFrame:
    """Read a Dataset-JSON v1.1 document (as parsed by ``json.loads``) into a polars frame.

    Raises
    ------
    PlasmatrialError
        Missing ``columns``/``rows``, an unknown ``dataType`` or a row of the wrong length.
    """
    try:
        columns = document["columns"]
        rows = document["rows"]
    except KeyError as exc:
        raise PlasmatrialError(f"document: not Dataset-JSON, lacks {exc}") from None
    names = [c["name"] for c in columns]
    types = []
    for c in columns:
        t = _TO_POLARS.get(c["dataType"])
        if t is None:
            raise PlasmatrialError(
                f"document: column {c['name']}: unknown dataType {c['dataType']!r}"
            )
        types.append((c["dataType"], t))
    data: dict[str, list[Any]] = {n: [] for n in names}
    for i, row in enumerate(rows):
        if len(row) != len(names):
            raise PlasmatrialError(
                f"document: row {i} has {len(row)} values, expected {len(names)}"
            )
        for n, (kind, _), v in zip(names, types, row, strict=True):
            if v is not None and kind == "date":
                v = dt.date.fromisoformat(v)
            elif v is not None and kind == "datetime":
                v = dt.datetime.fromisoformat(v)
            data[n].append(v)
    schema = {n: t for n, (_, t) in zip(names, types, strict=True)}
    frame = pl.DataFrame(data, schema=schema)
    if "records" in document and document["records"] != frame.height:
        raise PlasmatrialError(
            f"document: records says {document['records']}, rows hold {frame.height}"
        )
    return frame
