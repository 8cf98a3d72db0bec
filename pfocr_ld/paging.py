"""Paging moved to :mod:`pfocr_ld.query.paging` (it is part of running a bound query); this name stays
for code that imports ``pfocr_ld.paging``."""

from __future__ import annotations

from pfocr_ld.query.paging import KeyCache, run_page

__all__ = ["KeyCache", "run_page"]
