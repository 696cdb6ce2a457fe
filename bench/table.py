"""Issue 12's table: `python -m bench.table [--results DIR]`.

Prints, for every measure the issue names, the figure the issue quoted when it was filed, the
latest figure the benchmarks recorded (bench.results; with the date and commit it was measured
at), the target, whether it is met, and the ratio against DuckDB computing the same answer from
the same data in the same run (batch: the load against DuckDB's recount of the CSV; reads: the read
API against DuckDB over the lake). A measure no benchmark has recorded yet says which command
records it, rather than leaving a figure out silently.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from bench.results import RESULTS, latest
from pipeline.settings import DEFAULTS

Figures = dict[str, object]


@dataclass(frozen=True)
class Measure:
    label: str
    issue: str                       # the figure the issue quoted when it was filed
    target: str
    source: str                      # bench.results name
    command: str                     # what records it
    show: Callable[[Figures], str]
    met: Callable[[Figures], bool]
    ratio: Callable[[dict[str, dict]], str] = lambda _: "n/a"


def _f(figs: Figures, key: str) -> float:
    return float(figs[key])


def _make_test(f: Figures) -> str:
    """The suite's wall time, and how busy the machine's cores were meanwhile: near all of them busy means
    the CPU bounds the run, not its waits (older files lack the cores: left out)."""
    cpu = (f"; {_f(f, 'busy_cores'):.2f} of {_f(f, 'cores'):.0f} cores busy, serial part {_f(f, 'serial_s') / 60:.1f} min"
           if "busy_cores" in f else "")
    return f"{_f(f, 'seconds') / 60:.1f} min ({'passed' if _f(f, 'rc') == 0 else 'FAILED'}{cpu})"


def _other_callbacks(f: Figures) -> dict[str, float]:
    """The callbacks bench.app times beside the pages' main ones, by name: the descriptor views, the hotspot
    pointer's hover and click, the board report's first render (older files lack some: left out)."""
    out = {"descriptor views": f.get("descriptor_views_p95_ms")}
    out.update({f"hotspots {k.split(' (')[0]}": v for k, v in (f.get("hotspot_pointer_p95_ms") or {}).items()})
    out["board report"] = (f.get("board_report_p95_ms") or {}).get("first_render")
    return {k: float(v) for k, v in out.items() if v is not None}


def _worst_callback(f: Figures) -> tuple[str, float]:
    """The slowest callback at p95: a page's main ones (every visit or first visits) or another one."""
    every = {f"page {f.get('worst_page')}": _f(f, "worst_page_p95_ms"),
             "first visits": _f(f, "first_visit_p95_ms"), **_other_callbacks(f)}
    return max(every.items(), key=lambda kv: kv[1])


def _callbacks(f: Figures) -> str:
    store = str(f.get("store", "")).rstrip("/").rsplit("/", 1)[-1]
    worst, ms = _worst_callback(f)
    return (f"{_f(f, 'worst_page_p95_ms'):.0f} ms, first visits {_f(f, 'first_visit_p95_ms'):.0f} ms "
            f"(worst page: {f.get('worst_page')}); every callback {ms:.0f} ms (worst: {worst}); store {store}")


def _lake_every(f: Figures) -> float:
    """How often the measured job handed its changes to the lake (files from before it was recorded: the default)."""
    return float(f.get("lake_every_s", DEFAULTS.stream_lake_every_s))


def _stream_as_run(f: Figures) -> bool:
    """Whether a stream run measured the job as the product runs it: the issue's rate, exact counts and the
    lake handed its changes at the default interval. A run with `--lake-every -1` measures a ceiling (the
    job without them: p95 2.0 s against 6.0 s while it merged into the lake itself, 2026-12-07), never the line."""
    return (float(f.get("rate", 2000)) >= 2000 and bool(f.get("count_exact"))
            and _lake_every(f) == DEFAULTS.stream_lake_every_s)


def _hand_overs(f: Figures) -> str:
    every = _lake_every(f)
    return "NO lake hand-over" if every < 0 else f"lake hand-over every {every:g} s"


def _read_lake_ratio(scheme: str) -> Callable[[dict[str, dict]], str]:
    """The read API against DuckDB over the lake, on a store of this kind (bench.read's ten- and
    three-year stores hold synthetic rollups with no raw rows behind them, so DuckDB has nothing to
    recount there: bench.read_lake loads real rows into both)."""
    def ratio(docs: dict[str, dict]) -> str:
        doc = docs.get(f"read_lake_{scheme}")
        if not doc:
            return f"not run (`python -m bench.read_lake --store {scheme}://…`)"
        f = doc["figures"]
        return (f"{_f(f, 'api_over_duckdb'):.2f}× p50 over the lake's {_f(f, 'rows') / 1e6:g} M rows "
                f"({'answers equal' if f.get('answers_equal') else 'ANSWERS DIFFER'}; {doc['measured_at'][:10]})")
    return ratio


def _batch_ratio(name: str) -> Callable[[dict[str, dict]], str]:
    def ratio(docs: dict[str, dict]) -> str:
        f = docs.get(name, {}).get("figures")
        return f"{_f(f, 'ours_over_duckdb'):.1f}× DuckDB's borough × day recount of the CSV" if f else "n/a"
    return ratio


MEASURES = (
    Measure("batch → Cassandra, end to end", "9,962 rows/s (5 M rows)", "≥ 50,000 rows/s", "batch_cassandra",
            "bash scripts/bench.sh batch",
            lambda f: f"{_f(f, 'rows_per_s'):,.0f} rows/s ({_f(f, 'rows') / 1e6:g} M rows, {_f(f, 'seconds'):.0f} s)",
            lambda f: _f(f, "rows_per_s") >= 50_000, _batch_ratio("batch_cassandra")),
    Measure("batch → embedded SQLite (`make run`'s first start)", "332 s, 4,820 rows/s (1.6 M rows)", "≥ 50,000 rows/s; ≤ 3 min",
            "batch_sqlite", "python -m bench.batch --rows 1600000 --store sqlite:///var/bench/batch.db",
            lambda f: f"{_f(f, 'seconds'):.0f} s, {_f(f, 'rows_per_s'):,.0f} rows/s ({_f(f, 'rows') / 1e6:g} M rows)",
            lambda f: _f(f, "rows_per_s") >= 50_000 and _f(f, "seconds") <= 180, _batch_ratio("batch_sqlite")),
    Measure("small load: 924-row sample → fresh SQLite", "58 s wall", "≤ 15 s", "small_load",
            "bash scripts/bench.sh small",
            lambda f: f"{_f(f, 'wall_s'):.1f} s wall on a warm loader (rollups {_f(f, 'rollups_s'):.1f} s)"
                      + (f"; {_f(f, 'cold_wall_s'):.1f} s in its own process" if "cold_wall_s" in f else ""),
            lambda f: _f(f, "wall_s") <= 15, _batch_ratio("small_load")),
    Measure("one more day (10,000 rows) into the batch store", "35.5 s", "≤ 30 s", "batch_cassandra",
            "bash scripts/bench.sh batch",
            lambda f: f"{_f(f, 'one_more_day_s'):.1f} s (into the {_f(f, 'rows') / 1e6:g} M-row store)"
                      + (f"; {_f(f, 'one_more_day_warm_s'):.1f} s on a warm loader" if "one_more_day_warm_s" in f else ""),
            lambda f: _f(f, "one_more_day_s") <= 30),
    Measure("embedded store size against the lake's Parquet", "3.4× (1.6 M rows, 6 months)", "≤ 1×", "read_lake_sqlite",
            "bash scripts/bench.sh readlake",
            lambda f: f"{_f(f, 'store_mb') / _f(f, 'lake_mb'):.1f}× ({_f(f, 'store_mb'):,.0f} MB vs {_f(f, 'lake_mb'):,.0f} MB, "
                      f"{_f(f, 'rows') / 1e6:g} M rows)",
            lambda f: _f(f, "store_mb") <= _f(f, "lake_mb")),
    Measure("read API, ten years, Cassandra, cold, p95", "100.8 ms (worst class 561 ms)", "≤ 50 ms every class",
            "read_cassandra_10y", "bash scripts/bench.sh read",
            lambda f: f"{_f(f, 'p95_ms'):.1f} ms (worst class {f['worst_class']}: {_f(f, 'worst_class_p95_ms'):.0f} ms)",
            lambda f: _f(f, "worst_class_p95_ms") <= 50, _read_lake_ratio("cassandra")),
    Measure("read API, embedded SQLite, three years, cold, p95", "170 ms (worst class 750 ms)", "≤ 50 ms every class",
            "read_sqlite_3y", "python -m bench.read --store sqlite:///var/bench/read3.db --years 3",
            lambda f: f"{_f(f, 'p95_ms'):.1f} ms (worst class {f['worst_class']}: {_f(f, 'worst_class_p95_ms'):.0f} ms)",
            lambda f: _f(f, "worst_class_p95_ms") <= 50, _read_lake_ratio("sqlite")),
    *(Measure(f"callbacks, p95 (bench.app), {kind}", "188 ms, first visits 315 ms", "≤ 100 ms every callback, first visits too",
              source, command, _callbacks, lambda f: _worst_callback(f)[1] <= 100)
      for kind, source, command in (
          ("embedded SQLite", "app", "python -m bench.app --store sqlite:///var/bench/read3.db"),
          ("Cassandra", "app_cassandra", "bash scripts/bench.sh app"))),
    Measure("stream freshness at 2,000 events/s, p95", "34.2 s", "≤ 3 s", "stream_freshness",
            "BENCH_STREAM_ARGS='--part freshness' bash scripts/bench.sh stream",
            lambda f: f"{_f(f, 'p95_s'):.1f} s (p50 {_f(f, 'p50_s'):.1f} s, {_f(f, 'seconds'):.0f} s run, "
                      f"counts {'exact' if f.get('count_exact') else 'WRONG'}, {_hand_overs(f)})",
            lambda f: _f(f, "p95_s") <= 3 and _stream_as_run(f)),
    Measure("stream memory at 2,000 events/s", "3.2 GB (2.0 + 1.2)", "≤ 1.5 GB", "stream_freshness",
            "BENCH_STREAM_ARGS='--part freshness' bash scripts/bench.sh stream",
            lambda f: f"{_f(f, 'peak_mb') / 1024:.2f} GB ({_hand_overs(f)})",
            lambda f: _f(f, "peak_mb") <= 1536 and _stream_as_run(f)),
    Measure("make test, clean clone", "17.5 min", "≤ 10 min", "make_test", "make test",
            _make_test,
            lambda f: _f(f, "seconds") <= 600),
)


def rows(docs: dict[str, dict]) -> list[tuple[str, ...]]:
    """(measure, issue's figure, new figure, when, target, met, DuckDB ratio) per measure."""
    out = []
    for m in MEASURES:
        doc = docs.get(m.source)
        if doc is None:
            out.append((m.label, m.issue, f"not run (`{m.command}`)", "", m.target, "?", m.ratio(docs)))
            continue
        figs = doc["figures"]
        try:
            new, met = m.show(figs), ("yes" if m.met(figs) else "no")
        except (KeyError, TypeError, ValueError) as exc:  # a file from an older bench lacks a figure
            new, met = f"unreadable ({exc!r}); re-run `{m.command}`", "?"
        when = f"{doc['measured_at'][:16].replace('T', ' ')} @ {doc.get('commit') or '?'}"
        out.append((m.label, m.issue, new, when, m.target, met, m.ratio(docs)))
    return out


def markdown(table: list[tuple[str, ...]]) -> str:
    head = ("measure", "issue 12 (filed)", "now", "measured", "target", "met", "against DuckDB, same run")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.table", description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=str(RESULTS), help=f"results directory (default {RESULTS})")
    args = ap.parse_args(argv)
    from pathlib import Path
    print(markdown(rows(latest(Path(args.results)))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
