"""Yes/no flag columns read one way (``"Y"``/``"N"``, ``1``/``0``, ``true``/``false``, ...).

SDTM and ADaM flags are ``"Y"``/``"N"`` (or ``"Y"``/null), but a CSV written by hand, a spreadsheet
or another tool gives ``YES``, ``TRUE``, ``1``, a Boolean or a number. Every reader of a flag
column goes through :func:`yes_no` so that all of them accept the same spellings (decision 0282).
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: Text read as yes (after trimming and upper-casing); ``POSITIVE``/``POS`` for findings (iFISH).
YES: Final[tuple[str, ...]] = ("Y", "YES", "TRUE", "1", "POSITIVE", "POS")
#: Text read as no.
NO: Final[tuple[str, ...]] = ("N", "NO", "FALSE", "0", "NEGATIVE", "NEG")


def yes_no(frame: pl.DataFrame, name: str, *, absent: bool | None = None) -> pl.Expr:
    """Column ``name`` of ``frame`` as a tri-state Boolean expression.

    Parameters
    ----------
    frame : polars.DataFrame
        The frame the expression will run on (its schema decides the conversion).
    name : str
        Flag column.
    absent : bool or None, default None
        The value when ``frame`` has no column ``name``.

    Returns
    -------
    polars.Expr
        Boolean: ``True`` for yes, ``False`` for no, null for a missing or unrecognised value.

    Notes
    -----
    1. A Boolean column is used as is.
    2. A numeric column: 0 is no, any other number yes (null stays null).
    3. Text is trimmed and upper-cased: :data:`YES` is yes, :data:`NO` is no, anything else null.

    Examples
    --------
    >>> df = pl.DataFrame({"F": ["Y", " n ", "true", "1", "maybe", None]})
    >>> df.select(yes_no(df, "F"))["F"].to_list()
    [True, False, True, True, None, None]
    >>> df.select(yes_no(df, "G", absent=False).alias("G"))["G"].to_list()
    [False]
    """
    if name not in frame.columns:
        return pl.lit(absent, dtype=pl.Boolean)
    dtype = frame.schema[name]
    if dtype == pl.Boolean:
        return pl.col(name)
    if dtype.is_numeric():
        return pl.col(name).cast(pl.Float64) != 0
    text = pl.col(name).cast(pl.String).str.strip_chars().str.to_uppercase()
    return (
        pl.when(text.is_in(YES))
        .then(pl.lit(value=True))
        .when(text.is_in(NO))
        .then(pl.lit(value=False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
        .alias(name)
    )


__all__ = ["NO", "YES", "yes_no"]
