"""A short Spark job's JVM cost with two sets of JVM options, in turns: JVM CPU seconds and wall time.

Why: `make test` starts dozens of short-lived Spark drivers (every streaming job, loader and stack a
test starts), on two cores, so the CPU a JVM spends warming up is the suite's time. scripts/test.sh
runs those short-lived JVMs with C1 only (`-XX:TieredStopAtLevel=1`; the long-lived ones keep the
defaults, tests/support/jvm.py); this measures what that buys on the job the tests run most: a
session start, a small group-by, a Delta write and a Delta read.

    python -m bench.jvm_start [--turns 3] [--options "-XX:TieredStopAtLevel=1"]

Each turn runs the job once with the JVM's defaults and once with the options (through
JAVA_TOOL_OPTIONS, as scripts/test.sh sets them), each in a process of its own.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def child() -> None:
    import psutil

    from pipeline.settings import load
    from pipeline.spark import build_session

    start = time.monotonic()
    spark = build_session("bench-jvm-start", load(env={**os.environ, "NYC311_SPARK_MASTER": "local[2]"}),
                          shuffle_partitions=2)
    with tempfile.TemporaryDirectory() as tmp:
        df = spark.range(20_000).selectExpr("id", "id % 7 AS k")
        df.groupBy("k").count().collect()
        df.write.format("delta").save(f"{tmp}/t")
        spark.read.format("delta").load(f"{tmp}/t").groupBy("k").count().collect()
        pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        cpu = psutil.Process(pid).cpu_times()
        print(json.dumps({"jvm_cpu_s": cpu.user + cpu.system, "wall_s": time.monotonic() - start}))
    spark.stop()


def run(options: str) -> dict:
    env = {**os.environ, "JAVA_TOOL_OPTIONS": options}
    out = subprocess.run([sys.executable, "-m", "bench.jvm_start", "--child"], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--options", default="-XX:TieredStopAtLevel=1")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child()
    runs: dict[str, list[dict]] = {"defaults": [], "options": []}
    for turn in range(args.turns):
        for name, opts in (("defaults", ""), ("options", args.options)):
            runs[name].append(run(opts))
            print(f"turn {turn + 1} {name:8}  JVM CPU {runs[name][-1]['jvm_cpu_s']:5.1f} s  "
                  f"wall {runs[name][-1]['wall_s']:5.1f} s", flush=True)
    for key in ("jvm_cpu_s", "wall_s"):
        base, new = (statistics.median(r[key] for r in runs[n]) for n in ("defaults", "options"))
        print(f"median {key}: defaults {base:.1f}, {args.options!r} {new:.1f} ({new / base:.2f}x)")


if __name__ == "__main__":
    main()
