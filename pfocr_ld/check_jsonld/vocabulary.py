"""The vocabularies check-jsonld knows: schema.org (bundled), the PFOCR ontology and the wp: terms.

:func:`load_vocabulary` reads them once per process into a :class:`Vocabulary` (classes,
properties, domains, ranges, superseded terms, IRI-valued properties) for the ``vocabulary`` layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from pfocr_ld import resources, vocab
from pfocr_ld.check_jsonld.expansion import _is_blank
from pfocr_ld.contexts import pfocr_context

_SCHEMA_HTTPS: Final = "https://schema.org/"


def _normalise_schema(iri: str) -> str:
    """schema.org terms compare in the ``http://schema.org/`` form the official context expands to."""
    return vocab.SCHEMA + iri[len(_SCHEMA_HTTPS) :] if iri.startswith(_SCHEMA_HTTPS) else iri


@dataclass(frozen=True, eq=False)  # identity hash: the caches below key on the one instance
class Vocabulary:
    """The classes and properties of schema.org, the PFOCR vocabulary and the wp: terms."""

    classes: frozenset[str]
    properties: frozenset[str]
    parents: Mapping[str, frozenset[str]]
    domains: Mapping[str, frozenset[str]]
    ranges: Mapping[str, frozenset[str]]
    superseded: Mapping[str, str]
    #: properties whose values are IRIs (our context's ``@id`` coercions, owl:ObjectProperty)
    iri_properties: frozenset[str]
    #: namespaces whose every term must be defined in this vocabulary
    namespaces: tuple[str, ...] = (vocab.SCHEMA, vocab.PFOCR, vocab.WP)

    def knows_namespace(self, iri: str) -> bool:
        return iri.startswith(self.namespaces)

    def ancestors(self, cls: str) -> frozenset[str]:
        """``cls`` and every class it is (transitively) a subclass of."""
        return _ancestors(self, cls)

    def datatypes(self) -> frozenset[str]:
        """schema.org's data types (Text, Number, Date, …) and their subclasses."""
        return _datatypes(self)


@cache
def _ancestors(vocabulary: Vocabulary, cls: str) -> frozenset[str]:
    seen = {cls}
    stack = [cls]
    while stack:
        for parent in vocabulary.parents.get(stack.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return frozenset(seen)


@cache
def _datatypes(vocabulary: Vocabulary) -> frozenset[str]:
    roots = {
        vocab.SCHEMA + name for name in ("Text", "Number", "Boolean", "Date", "DateTime", "Time", "DataType")
    }
    return frozenset(cls for cls in vocabulary.classes if vocabulary.ancestors(cls) & roots)


def find_ontology() -> Path | None:
    """The PFOCR ontology (``ontology/pfocr.ttl``), bundled or in the checkout; ``None`` if absent."""
    for candidate in (resources.ontology_file(), resources.PACKAGE_DIR.parent / "ontology" / "pfocr.ttl"):
        if candidate.is_file():
            return candidate
    return None


@cache
def load_vocabulary() -> Vocabulary:
    """Load schema.org (bundled), the PFOCR ontology (if present) and the wp: terms, once."""
    import pyoxigraph  # parsing the 18k schema.org triples takes 20 ms here, 0.4 s with rdflib

    rdf_type, rdfs_class, rdf_property = vocab.RDF + "type", vocab.RDFS + "Class", vocab.RDF + "Property"
    owl_classes = {vocab.OWL + "Class", rdfs_class}
    owl_properties = {
        rdf_property,
        vocab.OWL + "ObjectProperty",
        vocab.OWL + "DatatypeProperty",
        vocab.OWL + "AnnotationProperty",
    }
    classes: set[str] = set()
    properties: set[str] = set()
    parents: dict[str, set[str]] = {}
    domains: dict[str, set[str]] = {}
    ranges: dict[str, set[str]] = {}
    superseded: dict[str, str] = {}
    iri_properties: set[str] = set()

    def add(subject: str, predicate: str, obj: str) -> None:
        if predicate == rdf_type:
            if obj in owl_classes:
                classes.add(subject)
            elif obj in owl_properties:
                properties.add(subject)
                if obj == vocab.OWL + "ObjectProperty":
                    iri_properties.add(subject)
        elif predicate == vocab.RDFS + "subClassOf":
            parents.setdefault(subject, set()).add(obj)
        elif predicate == vocab.SCHEMA + "domainIncludes":
            domains.setdefault(subject, set()).add(obj)
        elif predicate == vocab.SCHEMA + "rangeIncludes":
            ranges.setdefault(subject, set()).add(obj)
        elif predicate == vocab.SCHEMA + "supersededBy":
            superseded[subject] = obj

    def load(path: Path | Any) -> None:
        with open(str(path), "rb") as stream:
            for triple in pyoxigraph.parse(stream, format=pyoxigraph.RdfFormat.TURTLE):
                subject, predicate, obj = triple.subject, triple.predicate, triple.object
                if isinstance(subject, pyoxigraph.NamedNode) and isinstance(obj, pyoxigraph.NamedNode):
                    add(
                        _normalise_schema(subject.value),
                        _normalise_schema(predicate.value),
                        _normalise_schema(obj.value),
                    )

    load(resources.DATA_DIR / "schemaorg" / "schemaorg-current-https.ttl")
    ontology = find_ontology()
    if ontology is not None:
        load(ontology)
    # The term lists in pfocr_ld.vocab are the contract when the ontology is absent (or partial):
    # capitalised names are classes or individuals, the others properties.
    for terms in (vocab.T.pfocr, vocab.T.wp):
        for name, iri in terms.items():
            (classes if name[:1].isupper() else properties).add(iri)
    for term, definition in pfocr_context().items():
        if isinstance(definition, dict) and definition.get("@type") == "@id":
            iri_properties.add(vocab.CONVERTER.expand(term) or term)
    return Vocabulary(
        classes=frozenset(classes),
        properties=frozenset(properties),
        parents={key: frozenset(value) for key, value in parents.items()},
        domains={key: frozenset(value) for key, value in domains.items()},
        ranges={key: frozenset(value) for key, value in ranges.items()},
        superseded=superseded,
        iri_properties=frozenset(iri_properties),
    )


def _vocabulary_name(iri: str) -> str:
    if iri.startswith(vocab.SCHEMA):
        return "schema.org (release 30.0)"
    if iri.startswith(vocab.PFOCR):
        return "the PFOCR vocabulary (ontology/pfocr.ttl)"
    return "the WikiPathways vocabulary (the wp: terms pfocr-ld knows)"


def _short(iri: str) -> str:
    compressed = vocab.CONVERTER.compress(iri) if not _is_blank(iri) else None
    return compressed or iri
