#!/usr/bin/env bash
# Rebuild the committed example in output/example/ (the HER2 figure). tests/test_example_output.py
# fails when the committed files are stale; review the diff, then commit.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE_DATE_EPOCH=1767225600 python -m pfocr_ld.cli build \
  examples/pfocr-sample/_figures/PMC3376449__fonc-02-00062-g001.md --out output/example --workers 1 --no-progress
