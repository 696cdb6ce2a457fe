"""Issue 12's table (bench/table.py) joins what the benchmarks recorded (bench/results.py): every
measure the issue names gets a row, a missing or stale figure says so and which command records it,
and "met" follows the target, so the table can't claim a target it did not measure."""
from __future__ import annotations

import pytest

from bench.results import latest, record
from bench.table import MEASURES, markdown, rows

pytestmark = pytest.mark.unit


def row_of(table, label_start):
    return next(r for r in table if r[0].startswith(label_start))


def test_every_measure_is_listed_and_unrecorded_ones_name_their_command(tmp_path):
    table = rows(latest(tmp_path))
    assert [r[0] for r in table] == [m.label for m in MEASURES]
    assert len(table) == 12  # the callbacks twice: over the embedded store and over Cassandra
    small = row_of(table, "small load")
    assert small[2] == "not run (`bash scripts/bench.sh small`)" and small[5] == "?"


def test_recorded_figures_are_shown_with_provenance_and_judged_against_the_target(tmp_path):
    record("small_load", {"wall_s": 14.2, "rollups_s": 3.0, "duckdb_s": 0.1, "ours_over_duckdb": 142.0}, tmp_path)
    record("stream_freshness", {"p95_s": 3.4, "p50_s": 1.0, "seconds": 180, "count_exact": True, "peak_mb": 1400},
           tmp_path)
    table = rows(latest(tmp_path))
    small = row_of(table, "small load")
    assert small[2].startswith("14.2 s wall") and small[5] == "yes" and "142.0×" in small[6]
    assert "@" in small[3]  # when and at which commit
    assert row_of(table, "stream freshness")[5] == "no"
    assert row_of(table, "stream memory")[5] == "yes"


def test_a_file_missing_a_figure_is_unreadable_not_a_crash(tmp_path):
    record("app", {"worst_page_p95_ms": 90}, tmp_path)
    (tmp_path / "garbage.json").write_text("{not json")
    app = row_of(rows(latest(tmp_path)), "callbacks")
    assert app[2].startswith("unreadable") and app[5] == "?"
    record("app_cassandra", {"worst_page_p95_ms": 300, "first_visit_p95_ms": 350, "worst_page": "hotspots",
                             "store": "cassandra://127.0.0.1:9042/nyc311_bench"}, tmp_path)
    cassandra = row_of(rows(latest(tmp_path)), "callbacks, p95 (bench.app), Cassandra")
    assert "store nyc311_bench" in cassandra[2] and cassandra[5] == "no"  # its own row: not the embedded one's


def test_the_read_rows_carry_the_read_lake_ratio_and_say_when_answers_differ(tmp_path):
    record("read_lake_sqlite", {"rows": 1_000_000, "api_over_duckdb": 0.07, "answers_equal": False,
                                "store_mb": 500, "lake_mb": 60}, tmp_path)
    table = rows(latest(tmp_path))
    sqlite = row_of(table, "read API, embedded SQLite")[6]
    assert "0.07×" in sqlite and "ANSWERS DIFFER" in sqlite
    assert row_of(table, "read API, ten years")[6].startswith("not run")  # another store's ratio is not borrowed
    size = row_of(table, "embedded store size")
    assert size[2].startswith("8.3×") and size[5] == "no"


def test_markdown_escapes_pipes():
    assert "a \\| b" in markdown([("a | b",) + ("",) * 6])


def test_the_callbacks_row_is_met_only_when_every_callback_is(tmp_path):
    """The pages' main callbacks under 100 ms do not meet it while the hotspot click or the board report is over."""
    pages = {"worst_page_p95_ms": 73, "first_visit_p95_ms": 81, "worst_page": "hotspots",
             "store": "cassandra://127.0.0.1:9042/nyc311_bench", "descriptor_views_p95_ms": 89}
    record("app_cassandra", {**pages, "hotspot_pointer_p95_ms": {"hover (a hexagon's top types)": 17,
                                                                 "click (a hexagon's places)": 165}}, tmp_path)
    row = row_of(rows(latest(tmp_path)), "callbacks, p95 (bench.app), Cassandra")
    assert row[5] == "no" and "every callback 165 ms (worst: hotspots click)" in row[2]
    record("app_cassandra", {**pages, "hotspot_pointer_p95_ms": {"click (a hexagon's places)": 60},
                             "board_report_p95_ms": {"first_render": 95, "again": 20}}, tmp_path)
    assert row_of(rows(latest(tmp_path)), "callbacks, p95 (bench.app), Cassandra")[5] == "yes"


def test_a_stream_run_without_the_lake_hand_over_is_shown_but_never_meets_the_line(tmp_path):
    """`--lake-every -1` measures the job without its lake hand-overs (a ceiling); the line is the job as it runs."""
    ceiling = {"rate": 2000, "p95_s": 2.0, "p50_s": 1.5, "seconds": 300, "count_exact": True, "peak_mb": 989}
    record("stream_freshness", {**ceiling, "lake_every_s": -1.0}, tmp_path)
    table = rows(latest(tmp_path))
    fresh, memory = row_of(table, "stream freshness"), row_of(table, "stream memory")
    assert "NO lake hand-over" in fresh[2] and fresh[5] == "no" and memory[5] == "no"
    record("stream_freshness", {**ceiling, "lake_every_s": 60.0}, tmp_path)
    table = rows(latest(tmp_path))
    assert row_of(table, "stream freshness")[5] == "yes" and "lake hand-over every 60 s" in row_of(table, "stream freshness")[2]
    record("stream_freshness", ceiling, tmp_path)  # files from before lake_every_s: the default interval
    assert row_of(rows(latest(tmp_path)), "stream freshness")[5] == "yes"
    record("stream_freshness", {**ceiling, "rate": 500}, tmp_path)
    assert row_of(rows(latest(tmp_path)), "stream freshness")[5] == "no"  # below the rate


def test_make_test_shows_how_busy_the_cores_were_when_recorded(tmp_path):
    record("make_test", {"seconds": 1162.0, "rc": 0.0}, tmp_path)
    assert row_of(rows(latest(tmp_path)), "make test")[2] == "19.4 min (passed)"  # an older file: no cores
    record("make_test", {"seconds": 1162.0, "rc": 0.0, "serial_s": 375.0, "cores": 2.0, "busy_cores": 1.93}, tmp_path)
    row = row_of(rows(latest(tmp_path)), "make test")
    assert row[2] == "19.4 min (passed; 1.93 of 2 cores busy, serial part 6.2 min)" and row[5] == "no"
