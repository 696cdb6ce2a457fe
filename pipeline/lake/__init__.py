"""The lake: the cleaned requests, one Delta row per request, merged by the batch and streaming jobs."""
