"""Helpers of the serving tests: the live page's refresh callback POSTed as the browser does."""
from __future__ import annotations

import requests


def live_callback(base_url: str) -> requests.Response:
    """POST the live page's refresh (live-interval tick, nothing shown yet) to base_url (the app's
    public URL, through nginx when there is one); the caller checks the answer."""
    deps = requests.get(base_url + "_dash-dependencies", timeout=30)
    live = next(d for d in deps.json() if d["inputs"] == [{"id": "live-interval", "property": "n_intervals"}]
                and "live-state.data" in d["output"])
    body = {"output": live["output"],
            "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                        for o in live["output"].strip(".").split("...")],
            "inputs": [{"id": "live-interval", "property": "n_intervals", "value": 1}],
            "state": [{"id": "live-state", "property": "data", "value": None}],
            "changedPropIds": ["live-interval.n_intervals"]}
    return requests.post(base_url + "_dash-update-component", json=body, timeout=30)
