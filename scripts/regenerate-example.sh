#!/usr/bin/env bash
# Rebuild the committed example in output/example/ (the HER2 figure). tests/test_example_output.py
# fails when the committed files are stale; review the diff, then commit.
# The build writes a release folder and symlinks (see README, "What a build writes"); the example
# commits the files a reader finds through those names, so it is built aside and copied.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
SOURCE_DATE_EPOCH=1767225600 python -m pfocr_ld.cli build \
  examples/pfocr-sample/_figures/PMC3376449__fonc-02-00062-g001.md --out "$scratch/out" --workers 1 --no-progress
rm -rf output/example
mkdir -p output/example
find "$scratch/out" -mindepth 1 -maxdepth 1 ! -name .pfocr-ld -exec cp -RL {} output/example/ \;
