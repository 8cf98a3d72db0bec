"""``python -m pfocr_ld.synth --profile SAMPLE_DIR [--write PATH]``: measure the sample into the profile."""

from __future__ import annotations

from pfocr_ld.synth.cli import _main

raise SystemExit(_main())
