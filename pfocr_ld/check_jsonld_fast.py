"""The old import path of check-jsonld's fast path, kept working; see :mod:`pfocr_ld.check_jsonld.fast`."""

from __future__ import annotations

from pfocr_ld.check_jsonld.fast import PlainContext, PlainExpansion, expand_plain

__all__ = ["PlainContext", "PlainExpansion", "expand_plain"]
