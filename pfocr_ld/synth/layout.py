"""The PFOCR source layout the generator writes: TSV headers, front-matter field order, NA values.

Shared by the profiler (which reads the sample in this layout) and the model (which writes it).
"""

from __future__ import annotations

GENES_HEADER_11 = (
    "organism_id",
    "organism_name",
    "organism_group",
    "word",
    "match",
    "ncbigene_symbol",
    "ncbigene_id",
    "source",
    "count_direct",
    "count_synonym",
    "count_match",
)
GENES_HEADER_10 = tuple(c for c in GENES_HEADER_11 if c != "count_synonym")
CHEMICALS_HEADER = ("word", "mesh", "match", "name", "chebi")
CHEMICALS_HEADER_OLD = ("word", "source", "identifier")
DISEASES_HEADER = ("word", "mesh", "match", "name", "doid")

SYMBOL, SYNONYM, FAMPLEX = "ncbigene_symbol", "ncbigene_synonym", "famplex_relations"
_SOURCE_CODE = {SYMBOL: "y", SYNONYM: "s", FAMPLEX: "f"}
_CODE_SOURCE = {v: k for k, v in _SOURCE_CODE.items()}

#: Field order of the current-generation records (53 of the 55 sample records; the other two put
#: ``organisms_ner`` after ``figtype``, which the generator reproduces at the measured share).
FIELD_ORDER = (
    "figid",
    "figtitle",
    "organisms",
    "organisms_ner",
    "pmcid",
    "filename",
    "figlink",
    "number",
    "caption",
    "papertitle",
    "reftext",
    "year",
    "doi",
    "journal_title",
    "journal_nlm_ta",
    "publisher_name",
    "keywords",
    "automl_pathway",
    "figid_alias",
    "figtype",
    "redirect_from",
    "ndex",
    "seo",
    "schema-jsonld",
)

NA_CHAR = ".na.character"


_RESERVED_SYMBOLS = frozenset({"NA", "NaN", "na", "nan", "N/A", "NULL", "null", "None", ""})
