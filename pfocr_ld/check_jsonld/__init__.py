"""``pfocr-ld check-jsonld``: read JSON-LD the way a strict consumer would, and say what goes wrong.

This module owns the JSON-LD checker: reading the inputs (``.jsonld``/``.json`` files, folders of
them, HTML pages with ``<script type="application/ld+json">`` blocks, PFOCR front-matter records
whose ``schema-jsonld`` block is what the PFOCR site embeds), processing each document with PyLD
through the offline document loader, and turning every problem into a :class:`Finding` with a
severity, a code, a location (a JSON path such as ``$.license`` or a line and column) and a message.

The checks come in layers (:class:`Check`) so that callers can pick them: the W3C test suite runs
only the processing layers (``syntax`` + ``processing``), because the vocabulary checks make no
sense for ``example.org`` vocabularies, while the command line runs them all.

- ``syntax``: JSON syntax (``json-syntax``), duplicate keys, YAML front matter, HTML script blocks.
- ``processing``: JSON-LD expansion errors reported with the specification's error code
  (``invalid term definition``, ``loading remote context failed``, …) and ``remote-context`` for
  any context that is not bundled — contexts are never fetched. The build's relative reference
  ``../context.jsonld``, resolved against the document's base, is the bundled PFOCR context.
- ``dropped``: keys that expansion silently drops (``dropped-term``), found with PyLD's
  ``on_property_dropped`` handler.
- ``iris``: relative IRI references (``relative-iri``) and malformed IRIs (``invalid-iri``).
- ``vocabulary``: properties and types in schema.org, the PFOCR vocabulary or the WikiPathways
  vocabulary that those vocabularies do not define (``unknown-term``), schema.org properties used
  outside their domain (``domain-mismatch``), plain strings where the vocabulary expects an IRI
  (``string-not-iri``) and superseded schema.org terms (``superseded-term``).

On top of the layers, SHACL profiles (``--profile bioschemas`` with the shapes in
``pfocr_ld/data/bioschemas/``, ``--profile pfocr`` with the project's shapes) validate the
document's triples with pySHACL, and ``--against`` compares them with a Turtle graph.

For corpora (a build's 100k ``jsonld/`` documents), :func:`check_files` checks files in worker
processes and returns their reports in input order, so the output does not depend on the number
of workers; the command writes reports as they come, ``--summary`` keeps only the documents with
errors and the counts by finding kind, and a progress bar shows on a terminal. A clean document is
expanded once (the relative-IRI probe and the RDF conversion reuse or skip expansions; see
:func:`.rules._needs_probe` and :func:`.conversion._dataset`), and :func:`check_files` first asks
the fast path (:mod:`pfocr_ld.check_jsonld.fast`, ``fast=True``), which vouches for a plain clean document
without PyLD and leaves everything else, and every finding, to the exact path.

The package, by role (each module's docstring says what it owns):

- :mod:`~pfocr_ld.check_jsonld.findings`: findings, reports, check layers, codes, JSON paths.
- :mod:`~pfocr_ld.check_jsonld.reading`: JSON text, HTML script blocks, front-matter records.
- :mod:`~pfocr_ld.check_jsonld.expansion`: PyLD's expansion, traced (the ``processing`` layer).
- :mod:`~pfocr_ld.check_jsonld.vocabulary`: schema.org, the PFOCR ontology and wp: terms.
- :mod:`~pfocr_ld.check_jsonld.rules`: the ``dropped``, ``iris`` and ``vocabulary`` layers.
- :mod:`~pfocr_ld.check_jsonld.conversion`: the document's RDF (toRdf of the traced expansion).
- :mod:`~pfocr_ld.check_jsonld.profiles`: SHACL profiles and ``--against``.
- :mod:`~pfocr_ld.check_jsonld.fast`: the fast path for plain documents of a build.
- :mod:`~pfocr_ld.check_jsonld.analysis`: one document, file or folder through the layers.
- :mod:`~pfocr_ld.check_jsonld.corpus`: many files in worker processes, in input order.
- :mod:`~pfocr_ld.check_jsonld.report`: totals and the text and JSON reports.
- :mod:`~pfocr_ld.check_jsonld.cli`: the ``check-jsonld`` command.

The names below are the package's API (``from pfocr_ld.check_jsonld import check_path``).
"""

from __future__ import annotations

from pfocr_ld import vocab
from pfocr_ld.check_jsonld.analysis import (
    analyse_document,
    check_document,
    check_file,
    check_html,
    check_path,
    check_record,
)
from pfocr_ld.check_jsonld.cli import check_jsonld_command
from pfocr_ld.check_jsonld.corpus import check_files
from pfocr_ld.check_jsonld.findings import (
    ALL_CHECKS,
    FINDING_CODES,
    PROCESSING_CHECKS,
    Check,
    CheckResult,
    DocumentReport,
    Finding,
    InputError,
    JsonInput,
    Severity,
    ShapesNotFoundError,
)
from pfocr_ld.check_jsonld.profiles import (
    PROFILES,
    find_pfocr_shapes,
    load_against,
    load_profile,
    profile_shape_files,
)
from pfocr_ld.check_jsonld.reading import (
    FRONT_MATTER_KEY,
    HTML_SUFFIXES,
    JSON_SUFFIXES,
    RECORD_SUFFIXES,
    HtmlExtractionError,
    HtmlScripts,
    RecordBlock,
    ScriptBlock,
    html_base,
    html_document,
    html_scripts,
    iter_inputs,
    parse_json,
    record_block,
)
from pfocr_ld.check_jsonld.report import CheckSummary, format_json, format_summary, format_text
from pfocr_ld.check_jsonld.vocabulary import Vocabulary, find_ontology, load_vocabulary

__all__ = [
    "ALL_CHECKS",
    "FINDING_CODES",
    "FRONT_MATTER_KEY",
    "HTML_SUFFIXES",
    "JSON_SUFFIXES",
    "PROCESSING_CHECKS",
    "PROFILES",
    "RECORD_SUFFIXES",
    "Check",
    "CheckResult",
    "CheckSummary",
    "DocumentReport",
    "Finding",
    "HtmlExtractionError",
    "HtmlScripts",
    "InputError",
    "JsonInput",
    "RecordBlock",
    "ScriptBlock",
    "Severity",
    "ShapesNotFoundError",
    "Vocabulary",
    "analyse_document",
    "check_document",
    "check_file",
    "check_files",
    "check_html",
    "check_jsonld_command",
    "check_path",
    "check_record",
    "find_ontology",
    "find_pfocr_shapes",
    "format_json",
    "format_summary",
    "format_text",
    "html_base",
    "html_document",
    "html_scripts",
    "iter_inputs",
    "load_against",
    "load_profile",
    "load_vocabulary",
    "parse_json",
    "profile_shape_files",
    "record_block",
    "vocab",
]
