"""pfocr-ld: publish Pathway Figure OCR records as schema.org- and WikiPathways-aligned linked data.

The data flows through one module per stage: :mod:`~pfocr_ld.records` (read source files) →
:mod:`~pfocr_ld.model` (typed, cleaned figures) → :mod:`~pfocr_ld.mapping` (RDF triples) →
:mod:`~pfocr_ld.validation` (SHACL) → :mod:`~pfocr_ld.writers` (Turtle, N-Triples, JSON-LD, VoID)
→ :mod:`~pfocr_ld.store` (SPARQL) → :mod:`~pfocr_ld.cli`.
"""

# The package's one version: pyproject.toml reads it (hatch's version source), CHANGELOG.md names it.
__version__ = "0.1.0"
