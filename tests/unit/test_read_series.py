"""The read API fills a series from its sums in Python: the same frames as the pandas path it replaced."""
from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read.plan import fill_series, series_frame


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["Bronx", "Queens", "Manhattan", "Other"]),
                          st.integers(1, 50)), max_size=30),
       st.integers(0, 6), st.sampled_from([None, (), ("Queens",), ("Bronx", "Staten Island")]))
def test_series_frame_equals_fill_series(cells, periods_shown, among):
    """The read API fills a series from its sums in Python (series_frame) where it built a frame and
    reindexed it (fill_series): the same frame, with and without a split, named groups or not."""
    periods = [f"2024-01-{d:02d}" for d in range(1, periods_shown + 1)]
    sums: dict[tuple, list[int]] = {}
    for day, borough, n in cells:
        if among is None or borough in among:
            sums.setdefault((f"2024-01-{day + 1:02d}", borough), [0])[0] += n
    frame = pd.DataFrame([(p, b, v[0]) for (p, b), v in sorted(sums.items())], columns=["period", "borough", "count"])
    pd.testing.assert_frame_equal(series_frame(sums, periods, "borough", among),
                                  fill_series(frame, periods, "borough", among=among))
    whole = {(p,): [sum(v[0] for (q, _), v in sums.items() if q == p)] for p, _ in sums}
    pd.testing.assert_frame_equal(series_frame(whole, periods, None),
                                  fill_series(frame.groupby("period", as_index=False)["count"].sum(), periods, None))
