"""pfocr-ld: publish Pathway Figure OCR records as schema.org- and WikiPathways-aligned linked data.

The data flows through one module per stage:

* :mod:`~pfocr_ld.records` reads source files (front matter, TSV tables, organism pages) →
  :mod:`~pfocr_ld.model` cleans them into typed figures (:mod:`~pfocr_ld.labels`: one label per
  shared node, voted over the release) →
  :mod:`~pfocr_ld.mapping` maps a figure to RDF triples (:mod:`~pfocr_ld.rdf`, IRIs from
  :mod:`~pfocr_ld.vocab`) →
  :mod:`~pfocr_ld.validation` checks them against the SHACL shapes →
  :mod:`~pfocr_ld.writers` writes Turtle, N-Triples and JSON-LD (:mod:`~pfocr_ld.jsonld`,
  :mod:`~pfocr_ld.contexts`, :mod:`~pfocr_ld.schemaorg`) and :mod:`~pfocr_ld.void` the dataset
  description →
  :mod:`~pfocr_ld.store` loads a release into a SPARQL store (:mod:`~pfocr_ld.store_sync`,
  :mod:`~pfocr_ld.publish_sync`: kept equal to the release) →
  :mod:`~pfocr_ld.query` answers named and free SPARQL queries (:mod:`~pfocr_ld.sparql`,
  :mod:`~pfocr_ld.ordering`, :mod:`~pfocr_ld.results`, :mod:`~pfocr_ld.remote`) →
  :mod:`~pfocr_ld.cli`, the ``pfocr-ld`` command (:mod:`~pfocr_ld.errors`: the library's errors).

The build drives the first stages: :mod:`~pfocr_ld.build` (main process, the release folder of
:mod:`~pfocr_ld.release`, the changes of :mod:`~pfocr_ld.changes`), :mod:`~pfocr_ld.build_worker`
(worker processes), :mod:`~pfocr_ld.outcomes` (what they give back), :mod:`~pfocr_ld.cache` and
:mod:`~pfocr_ld.reuse` (incremental builds). The tools around it: :mod:`~pfocr_ld.serve` (the
linked-data server, pages in :mod:`~pfocr_ld.templates`, query processes without network in
:mod:`~pfocr_ld.sandbox`, connection limits in :mod:`~pfocr_ld.connections`, the gene index of
:mod:`~pfocr_ld.gene_index`), :mod:`~pfocr_ld.store_commands` (``load``, ``publish``; credentials
in :mod:`~pfocr_ld.auth`), :mod:`~pfocr_ld.check_jsonld`, :mod:`~pfocr_ld.validate_files`,
:mod:`~pfocr_ld.enrichment`, :mod:`~pfocr_ld.site` and :mod:`~pfocr_ld.synth` (synthetic corpora).
Shared by all: :mod:`~pfocr_ld.limits` (per-record bounds), :mod:`~pfocr_ld.resources` (bundled
files), :mod:`~pfocr_ld.messages` (outside text in one-line messages).
"""

# The package's one version: pyproject.toml reads it (hatch's version source), CHANGELOG.md names it.
__version__ = "0.1.0"
