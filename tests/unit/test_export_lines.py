"""The scan that decides which exports need a multi-line CSV read (pipeline/ingest/exports.py spans_lines):
it must say what counting the quotes of each line, as Hadoop's line reader cuts lines, says, whatever the
chunk size cuts through (a line, a \\r\\n pair, a doubled quote)."""
from __future__ import annotations

import gzip
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as S

from pipeline.ingest.exports import InputError, spans_lines

pytestmark = pytest.mark.unit


def reference(data: bytes) -> bool:
    """Line by line, as the Spark pass it replaces counted: any line with an odd number of quotes."""
    return any(line.count(b'"') % 2 for line in re.split(rb"\r\n|\r|\n", data))


@settings(max_examples=300, deadline=None)
@given(data=S.lists(S.sampled_from([b"a", b'"', b'""', b"\n", b"\r", b"\r\n", b",", b"\xc3\xa9"]), max_size=60)
       .map(b"".join), chunk=S.integers(min_value=1, max_value=17))
def test_the_scan_agrees_with_counting_each_line(tmp_path_factory, data, chunk):
    path = tmp_path_factory.mktemp("scan") / "export.csv"
    path.write_bytes(data)
    assert spans_lines(str(path), chunk=chunk) is reference(data)


@pytest.mark.parametrize(("text", "spans"), [
    ('Unique Key,Descriptor\n1,"plain"\n2,"say ""hi"""\n', False),         # escaped quotes come in pairs
    ('Unique Key,Descriptor\r\n1,"a"\r\n2,"b"\r\n', False),                 # Windows line ends
    ('Unique Key,Descriptor\n1,"first\nsecond"\n2,"b"\n', True),            # a quoted line break
    ('Unique Key,Descriptor\n1,"first\rsecond"\n', True),                   # a lone carriage return cuts a line too
    ('Unique Key,Descriptor\n1,"unclosed', True),                           # the last line, without a break
    ("", False),
])
def test_examples_plain_and_gzipped(tmp_path, text, spans):
    plain, packed = tmp_path / "e.csv", tmp_path / "e.csv.gz"
    plain.write_text(text, encoding="utf-8", newline="")
    packed.write_bytes(gzip.compress(text.encode()))
    assert spans_lines(str(plain)) is spans
    assert spans_lines(str(packed)) is spans


def test_a_broken_gzip_is_a_clear_input_error(tmp_path):
    bad = tmp_path / "cut.csv.gz"
    bad.write_bytes(gzip.compress(b'Unique Key\n"1"\n' * 1000)[:60])
    with pytest.raises(InputError, match="cut.csv.gz"):
        spans_lines(str(bad))
