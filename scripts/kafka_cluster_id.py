"""Print a new KRaft cluster id, as `kafka-storage random-uuid` makes one, for scripts/services.sh
and scripts/cluster.sh to format a node's storage without a second JVM start.

    python scripts/kafka_cluster_id.py

The id is a random UUID in URL-safe base64 without padding. One in 64 of those starts with "-",
and `kafka-storage format -t -abc...` then reads the id as an option and fails ("argument
--cluster-id/-t: expected one argument"): a CI run failed so. Kafka's own Uuid.randomUuid() draws
again in that case and for its reserved ids (all zeros, and the metadata topic's 0...01); so does
this.
"""
from __future__ import annotations

import base64
import uuid
from collections.abc import Callable

RESERVED = {bytes(16), bytes(15) + b"\x01"}


def cluster_id(draw: Callable[[], bytes] = lambda: uuid.uuid4().bytes) -> str:
    while True:
        raw = draw()
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        if raw not in RESERVED and not text.startswith("-"):
            return text


if __name__ == "__main__":
    print(cluster_id())
