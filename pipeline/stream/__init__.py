"""The streaming job: events from the stream gateway (pipeline/streams/) -> request state -> live tables, dead letters and lake merges."""
