"""The KRaft cluster id the service scripts format Kafka's storage with: a CI run failed when a
random id began with "-" and kafka-storage took it for an option."""
from __future__ import annotations

import base64
import importlib.util
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kafka_cluster_id.py"
_spec = importlib.util.spec_from_file_location("kafka_cluster_id", SCRIPT)
kci = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kci)


def decoded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "==")


@given(st.lists(st.binary(min_size=16, max_size=16), min_size=1, max_size=6))
def test_the_first_draw_kafka_would_accept_is_the_id(draws):
    feed = iter([*draws, b"\x00" * 15 + b"\x02"])
    got = kci.cluster_id(lambda: next(feed))
    assert not got.startswith("-") and len(got) == 22 and "=" not in got
    assert decoded(got) not in kci.RESERVED
    accepted = [d for d in draws if d not in kci.RESERVED and not base64.urlsafe_b64encode(d).startswith(b"-")]
    assert decoded(got) == (accepted[0] if accepted else b"\x00" * 15 + b"\x02")


def test_an_id_beginning_with_a_dash_is_drawn_again():
    dash = base64.urlsafe_b64decode("-" + "A" * 21 + "==")  # what the failed run drew, in kind
    feed = iter([dash, bytes(16), b"\x01" * 16])
    assert kci.cluster_id(lambda: next(feed)) == base64.urlsafe_b64encode(b"\x01" * 16).decode().rstrip("=")


def test_the_script_prints_one_id():
    out = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True).stdout
    assert out.endswith("\n") and len(decoded(out.strip())) == 16 and not out.startswith("-")
