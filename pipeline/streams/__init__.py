"""Message streams behind one interface: a Kafka topic and the embedded spool folder.

The one place that turns stream_url into a stream; producers, the streaming job's source and its
dead letters all go through it. A new kind of stream is a Stream subclass here and a branch below.
"""
from __future__ import annotations

from urllib.parse import urlparse

from pipeline.settings import Settings
from pipeline.streams.base import Stream

__all__ = ["Stream", "open_stream"]


def open_stream(settings: Settings, url: str | None = None) -> Stream:
    """Open the stream a URL names (default: settings.stream_url): kafka://HOST:PORT[,...]/TOPIC or
    spool://DIR (a relative DIR is under the project root)."""
    url = url or settings.stream_url
    u = urlparse(url)
    if u.scheme == "kafka":
        from pipeline.streams.kafka import KafkaStream
        return KafkaStream(u.netloc, u.path.strip("/"))
    if u.scheme == "spool":
        from pipeline.streams.spool import SpoolStream
        return SpoolStream(settings.path((u.netloc + u.path) or "var/spool"))
    raise ValueError(f"unknown stream URL {url!r}: use spool://DIR or kafka://HOST:PORT/TOPIC")
