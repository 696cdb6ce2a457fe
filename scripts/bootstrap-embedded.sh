#!/usr/bin/env bash
# First start on the embedded default: nothing to build until the pipeline lands (extended later).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
