"""Benchmarks and the local nginx -> gunicorn launcher: tools that drive the product from outside.

They live apart from app/ and pipeline/ so a web worker or a Spark job never ships them, and so the
product's folders hold only what runs in production. `python -m bench.<name> --help` says what each
measures; scripts/bench.sh runs them all."""
