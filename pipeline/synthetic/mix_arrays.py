"""The calibrated mix (pipeline/synthetic/mix.py, complaints.py) turned into numpy arrays once.

Why: a row then costs a few array lookups and a searchsorted on a cumulative distribution; every
text a row prints is preformatted and already quoted here, so a CSV line is one join.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipeline.synthetic import complaints, mix
from pipeline.synthetic.layout import STATUSES
from pipeline.synthetic.places import PlacePool, quote

# ---------------------------------------------------------------- the calibrated tables, as arrays

@dataclass(frozen=True)
class MixTables:
    types: tuple[complaints.ComplaintType, ...]
    weight: np.ndarray          # (T,)
    profile: np.ndarray         # (T,) index into profile arrays
    hour_cdf: np.ndarray        # (P, 2 weekend, 24)
    dow: np.ndarray             # (P, 7)
    month: np.ndarray           # (P, 12)
    agency: np.ndarray          # (T,) index into agencies
    agencies: tuple[str, ...]
    median_h: np.ndarray
    sigma: np.ndarray
    blocks: tuple[np.ndarray, ...]     # per type: (descriptors, locations) preformatted 5-field block
    desc_cdf: tuple[np.ndarray, ...]
    loc_cdf: tuple[np.ndarray, ...]
    extras: tuple[np.ndarray, ...]     # per type: preformatted 7-field Vehicle..Bridge block options
    extras_cdf: tuple[np.ndarray, ...]
    channel_cdf: np.ndarray            # (A, 5)
    open_cdf: np.ndarray               # (A, len(STATUSES)) over STATUSES (Closed has weight 0)
    never_closed: np.ndarray           # (A,)
    due_days: np.ndarray               # (A,) nan when the agency sets no due date
    status_piece: np.ndarray           # (A, len(STATUSES)) "Facility Type,Status"
    texts: np.ndarray                  # resolution texts; [0] is ""
    closed_text_idx: tuple[np.ndarray, ...]   # per agency: indices into texts
    closed_text_cdf: tuple[np.ndarray, ...]
    open_text_idx: np.ndarray          # (A,)


def cdf(weights) -> np.ndarray:
    w = np.asarray(list(weights), dtype=float)
    c = np.cumsum(w / w.sum())
    c[-1] = 1.0
    return c


@lru_cache(maxsize=1)
def mix_tables() -> MixTables:
    types = complaints.TYPES
    agencies = tuple(dict.fromkeys(t.agency for t in types))
    profiles = tuple(mix.PROFILES)
    hour_cdf = np.array([[cdf(h), cdf(w if w is not None else h)] for h, w, _, _ in mix.PROFILES.values()])
    dow = np.array([d for _, _, d, _ in mix.PROFILES.values()], dtype=float)
    month = np.array([m for _, _, _, m in mix.PROFILES.values()], dtype=float)
    blocks, desc_cdf, loc_cdf, extras, extras_cdf = [], [], [], [], []
    for t in types:
        head = ",".join(quote(v) for v in (t.agency, complaints.AGENCY_NAMES[t.agency], t.name))
        blocks.append(np.array([[f"{head},{quote(d)},{quote(loc)}" for loc in t.locations] for d in t.descriptors],
                               dtype=object))
        desc_cdf.append(cdf(t.descriptors.values()))
        loc_cdf.append(cdf(t.locations.values()))
        opts = t.extras or {complaints.NO_EXTRAS: 1.0}
        extras.append(np.array([",".join(quote(v) for v in e) for e in opts], dtype=object))
        extras_cdf.append(cdf(opts.values()))
    texts = [""]
    closed_idx, closed_cdf, open_idx = [], [], []
    for a in agencies:
        chosen = mix.CLOSED_TEXTS.get(a, {"": 1.0})
        closed_idx.append(np.arange(len(texts), len(texts) + len(chosen)))
        texts.extend(quote(x) for x in chosen)
        closed_cdf.append(cdf(chosen.values()))
        if a in mix.OPEN_TEXTS:
            open_idx.append(len(texts))
            texts.append(quote(mix.OPEN_TEXTS[a]))
        else:
            open_idx.append(0)
    return MixTables(
        types=types, weight=np.array([t.weight for t in types]),
        profile=np.array([profiles.index(t.profile) for t in types]),
        hour_cdf=hour_cdf, dow=dow, month=month,
        agency=np.array([agencies.index(t.agency) for t in types]), agencies=agencies,
        median_h=np.array([t.median_h for t in types]), sigma=np.array([t.sigma for t in types]),
        blocks=tuple(blocks), desc_cdf=tuple(desc_cdf), loc_cdf=tuple(loc_cdf),
        extras=tuple(extras), extras_cdf=tuple(extras_cdf),
        channel_cdf=np.array([cdf(mix.channel_mix(a)) for a in agencies]),
        open_cdf=np.array([cdf(mix.open_status(a).get(s, 0.0) for s in STATUSES) for a in agencies]),
        never_closed=np.array([mix.NEVER_CLOSED.get(a, mix.NEVER_CLOSED_DEFAULT) for a in agencies]),
        due_days=np.array([mix.DUE_DAYS.get(a, np.nan) for a in agencies]),
        status_piece=np.array([[f"{quote(mix.FACILITY_TYPE.get(a, ''))},{s}" for s in STATUSES] for a in agencies],
                              dtype=object),
        texts=np.array(texts, dtype=object), closed_text_idx=tuple(closed_idx),
        closed_text_cdf=tuple(closed_cdf), open_text_idx=np.array(open_idx),
    )


def zip_cdfs(pool: PlacePool, tables: MixTables) -> np.ndarray:
    """(T, Z) cumulative ZIP choice per complaint type: population times the type's borough leaning."""
    out = np.empty((len(tables.types), len(pool.zips)))
    for i, t in enumerate(tables.types):
        lean = np.array([t.boroughs.get(b, 1.0) for b in pool.zip_borough])
        out[i] = cdf(pool.zip_weight * lean)
    return out
