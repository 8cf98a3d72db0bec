"""Bundled JSON-LD contexts and the offline document loader that serves them.

pfocr-ld never fetches a context over the network. Every JSON-LD operation (PyLD expansion in the
tests and the checker, the writers' context) goes through :func:`offline_loader`, which answers
from memory for the IRIs in :data:`BUNDLED` and raises a ``loading remote context failed`` error
for any other IRI — the same error code a JSON-LD processor reports when a fetch fails, so callers
handle "not bundled" exactly like "unreachable".

Our documents name their context by the relative reference :data:`CONTEXT_REFERENCE`
(``../context.jsonld``): a ``jsonld/<figid>.jsonld`` file finds the build's ``context.jsonld``
next to its folder, whether it is read from disk, from a static file server of the build folder or
from ``pfocr-ld serve`` (which serves the context where the reference resolves), and on the PFOCR
site, where the build folder published as ``/ld/`` makes it resolve to :data:`pfocr_ld.vocab.CONTEXT_IRI`.
Ordinary clients (rdflib, jsonld.js) thus load it with their default settings. Our own tools resolve
the reference against a document's base and answer it from memory (``offline_loader(base=...)``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, Final

from pfocr_ld import vocab

#: How every document we write names the PFOCR context: relative to the ``jsonld/`` folder (and to the
#: figure and endpoint paths of ``pfocr-ld serve``), so clients fetch it from where the document came.
CONTEXT_REFERENCE: Final = "../context.jsonld"

SCHEMA_ORG_CONTEXT_IRIS: frozenset[str] = frozenset(
    {
        "http://schema.org",
        "http://schema.org/",
        "https://schema.org",
        "https://schema.org/",
        "http://schema.org/docs/jsonldcontext.json",
        "https://schema.org/docs/jsonldcontext.json",
        "http://schema.org/docs/jsonldcontext.jsonld",
        "https://schema.org/docs/jsonldcontext.jsonld",
    }
)

#: Properties whose values are always IRIs in our output: coerced to ``@id`` in the context.
_ID_PROPERTIES: tuple[str, ...] = (
    "rdf:type",
    "rdfs:seeAlso",
    "wp:organism",
    "wp:bdbEntrezGene",
    "wp:bdbChEBI",
    "wp:isAbout",
    "wp:diseaseOntologyTag",
    "wp:ontologyTag",
    "dcterms:references",
    "dcterms:isPartOf",
    "dcterms:license",
    "dcterms:subject",
    "dcterms:conformsTo",
    "dcterms:publisher",
    "dcterms:creator",
    "dcterms:hasPart",
    "dcterms:isVersionOf",
    "dcterms:hasVersion",
    "dcterms:accrualPeriodicity",
    "cito:cites",
    "foaf:page",
    "foaf:depiction",
    "dc:identifier",
    "skos:exactMatch",
    "schema:url",
    "schema:license",
    "schema:image",
    "schema:contentUrl",
    "schema:creator",
    "schema:publisher",
    "schema:isBasedOn",
    "schema:citation",
    "schema:isPartOf",
    "schema:sameAs",
    "schema:about",
    "schema:mentions",
    "schema:distribution",
    "obo:RO_0002162",
    "pfocr:matchType",
    "pfocr:predictedOrganism",
    "pav:createdWith",
    "prov:wasDerivedFrom",
    "void:dataDump",
    "void:sparqlEndpoint",
    "void:vocabulary",
    "void:exampleResource",
    "void:class",
    "void:property",
    "void:classPartition",
    "void:propertyPartition",
    "dcat:distribution",
    "dcat:downloadURL",
)


def pfocr_context() -> dict[str, Any]:
    """The ``@context`` object of every document the build writes.

    Prefixes only, no ``@vocab``: an undefined key in one of our documents must be dropped (and
    so reported by strict expansion), never silently minted into some namespace. IRI-valued
    properties are coerced to ``@id`` so values stay short strings.

    No ``"@version": 1.1``: the context uses JSON-LD 1.0 features only (prefixes, compact-IRI terms,
    ``@type: @id`` coercion), and the version marker would make every JSON-LD 1.0 processor reject it.
    """
    context: dict[str, Any] = dict(vocab.PREFIXES)
    for curie in _ID_PROPERTIES:
        context[curie] = {"@type": "@id"}
    return context


@cache
def _schema_org_context() -> dict[str, Any]:
    path = resources.files("pfocr_ld") / "data" / "schemaorg" / "schemaorgcontext.jsonld"
    return json.loads(path.read_text(encoding="utf-8"))


def bundled_document(iri: str) -> dict[str, Any] | None:
    """The bundled context document for ``iri``, or ``None`` when it is not bundled."""
    if iri == vocab.CONTEXT_IRI:
        return {"@context": pfocr_context()}
    if iri in SCHEMA_ORG_CONTEXT_IRIS:
        return _schema_org_context()
    return None


def reference_iri(base: str) -> str | None:
    """The IRI that :data:`CONTEXT_REFERENCE` names in a document whose base IRI is ``base``."""
    # PyLD is imported where it is used: a build never needs it, and it takes 70 ms to import.
    from pyld.iri_resolver import resolve as _resolve

    try:
        return _resolve(CONTEXT_REFERENCE, base)  # PyLD's own resolution: the IRI its loader is asked for
    except ValueError:  # no usable base: the reference stays relative and cannot be loaded
        return None


def offline_loader(
    extra: dict[str, dict[str, Any]] | None = None, *, base: str | None = None
) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """A PyLD document loader that answers from bundled documents only.

    ``extra`` maps further IRIs to already-parsed documents (the W3C test suite uses it to serve
    its own files). With ``base`` (the base IRI of the document being processed), the IRI that
    :data:`CONTEXT_REFERENCE` resolves to from there is answered with the bundled PFOCR context: a
    document of the build names the context that way, and the build that wrote it wrote that
    context next to it. Each call returns a deep copy because PyLD may mutate what it is given.
    """
    extra = dict(extra or {})
    if base is not None:
        alias = reference_iri(base)
        if alias is not None and alias not in extra:
            extra[alias] = {"@context": pfocr_context()}

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        document = extra.get(url)
        if document is None:
            document = bundled_document(url)
        if document is None:
            from pyld.jsonld import JsonLdError

            raise JsonLdError(
                f"Context {url!r} is not bundled with pfocr-ld and remote contexts are never fetched.",
                "jsonld.LoadDocumentError",
                {"url": url},
                code="loading remote context failed",
            )
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(document),
        }

    return load
