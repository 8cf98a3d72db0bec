"""Moved to :mod:`pfocr_ld.serve.named` (``/query/<name>`` of ``pfocr-ld serve``); this path keeps old
imports working.

It is the same module object, so ``from pfocr_ld.named_service import X`` and attribute changes on it
reach the code the server runs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from pfocr_ld.serve import named

if TYPE_CHECKING:  # what type checkers see; at run time the module is replaced below
    from pfocr_ld.serve.named import *  # noqa: F403

sys.modules[__name__] = named
