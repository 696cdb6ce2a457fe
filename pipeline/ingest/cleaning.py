"""The one rule set for cleaning raw text fields, in Python (producers: pipeline/streams/events.py) and as
Spark column expressions (the batch and streaming normaliser: pipeline/ingest/normalize.py, pipeline/stream/job.py).

Why one module: a request that reaches the store through the live feed and the same request loaded
from an export must land under the same rollup key; when the two sides kept their own rules, "N/A"
became Unspecified on one and a complaint type of its own on the other. A test runs both versions
over the same tricky values. pyspark is imported only inside the column functions, so producers
never load it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.schema import UNSPECIFIED

if TYPE_CHECKING:
    from pyspark.sql import Column

# Trimmed from both ends: ASCII whitespace (Spark's plain trim takes spaces only; Python's strip()
# takes Unicode whitespace too: this set is the one both can spell).
WHITESPACE = " \t\n\r\f\v"
# Dimension values that mean "not given", in any case: they count as Unspecified.
PLACEHOLDERS = ("N/A", "NA", "UNSPECIFIED")


def text(value: object) -> str | None:
    """Trimmed text, None when empty."""
    s = str(value).strip(WHITESPACE) if value is not None else ""
    return s or None


def dim(value: object) -> str:
    """A dimension value: trimmed, never null (rollup keys are never null): Unspecified when absent
    or a placeholder."""
    s = text(value)
    return UNSPECIFIED if s is None or s.upper() in PLACEHOLDERS else s


def text_col(c: Column) -> Column:
    """`text` as a column expression."""
    from pyspark.sql import functions as F
    t = F.btrim(c.cast("string"), F.lit(WHITESPACE))
    return F.when(t != "", t)


def dim_col(c: Column) -> Column:
    """`dim` as a column expression."""
    from pyspark.sql import functions as F
    t = text_col(c)
    return F.when(t.isNull() | F.upper(t).isin(*PLACEHOLDERS), F.lit(UNSPECIFIED)).otherwise(t)
