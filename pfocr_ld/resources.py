"""Where the package finds its own files: shapes, ontology and bundled data.

In a wheel, ``shapes/`` and ``ontology/`` are copied into ``pfocr_ld/_bundled/``; in a source
checkout (editable install, tests) they are the repository's top-level folders. Code asks here
instead of guessing paths.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"


def _bundled(name: str) -> Path:
    inside = PACKAGE_DIR / "_bundled" / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name


def shapes_dir() -> Path:
    """The folder of the project's SHACL shapes (``*.ttl``)."""
    return _bundled("shapes")


def ontology_dir() -> Path:
    """The folder of the project's ontology (``pfocr.ttl``)."""
    return _bundled("ontology")


def ontology_file() -> Path:
    return ontology_dir() / "pfocr.ttl"


def mapping_doc() -> Path:
    """``docs/mapping.md``: the field-by-field mapping, which ``serve`` shows at ``/vocab/mapping``."""
    return _bundled("docs") / "mapping.md"
