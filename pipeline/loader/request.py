"""One batch load as data: what `batch` was asked to do, with every path resolved, so the same
load runs the same way in the command's own process or in a warm loader started elsewhere.

Why resolved on the caller's side: `--input`, `--lake` and `sqlite:///` store paths are relative to
the caller's working directory or checkout, which the loader does not share; the caller also checks
the input files first, so a wrong path fails in a second without waiting for a loader.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from urllib.parse import urlparse

from pipeline.ingest import exports as ingest
from pipeline.settings import Settings


class BadRequest(ValueError):
    """A load request the loader cannot run (malformed JSON, unknown fields, wrong types)."""


@dataclass(frozen=True)
class LoadRequest:
    store: str
    lake: str
    quarantine: str
    input: str | None = None       # an export file or folder; None: recount the lake from `since`
    since: str | None = None       # YYYY-MM-DD, with input None
    now: str | None = None         # ISO instant the rollups count open ages at (tests pin it); None: the clock

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"{f.name} must be a string, not {type(value).__name__}")
        for name in ("store", "lake", "quarantine"):
            if not getattr(self, name):
                raise BadRequest(f"{name} is missing")
        if (self.input is None) == (self.since is None):
            raise BadRequest("give either input or since")
        try:
            self.since_day, self.now_at  # noqa: B018 - parse both now, so a bad value fails before any work
        except ValueError as exc:
            raise BadRequest(str(exc)) from None

    @property
    def since_day(self) -> date | None:
        return date.fromisoformat(self.since) if self.since else None

    @property
    def now_at(self) -> datetime | None:
        if not self.now:
            return None
        at = datetime.fromisoformat(self.now)
        return at if at.tzinfo else at.replace(tzinfo=UTC)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadRequest:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise BadRequest(f"not JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise BadRequest("a load request is a JSON object")
        unknown = set(doc) - {f.name for f in fields(cls)}
        if unknown:
            raise BadRequest(f"unknown field(s) {', '.join(sorted(unknown))}")
        try:
            return cls(**doc)
        except TypeError as exc:  # a required field missing
            raise BadRequest(str(exc)) from None


def _local(path: str) -> str:
    """A local path made absolute; a URL (hdfs://, s3a://) as it is."""
    return path if urlparse(path).scheme else os.path.abspath(path)


def store_url(url: str) -> str:
    """A sqlite:/// URL with its file made absolute (it is relative to the project root)."""
    if urlparse(url).scheme != "sqlite":
        return url
    from pipeline.stores.sqlite import sqlite_path
    return f"sqlite:///{sqlite_path(url)}"


def from_args(args, settings: Settings) -> LoadRequest:
    """The request `batch`'s arguments make; raises ingest.InputError when the input has no exports."""
    if not args.recompute:
        ingest.export_files(args.input)
    return LoadRequest(store=store_url(args.store or settings.store_url),
                       lake=_local(args.lake or str(settings.path(settings.lake_path))),
                       quarantine=_local(args.quarantine or str(settings.path(settings.quarantine_path))),
                       input=None if args.recompute else _local(args.input),
                       since=args.since.isoformat() if args.recompute else None)
