"""The dataset description (``void.ttl``): VoID + DCAT + PAV at the three HCLS levels.

HCLS dataset descriptions (https://www.w3.org/TR/hcls-dataset/) separate the *summary* (the
dataset whatever its release), the *version* (this build) and its *distributions* (the files).
Counts come from the build's own statistics, never from a template. The creation date honours
``SOURCE_DATE_EPOCH`` (reproducible-builds convention) so that two builds of the same input are
byte-identical; without it the date of the build day is used (day precision on purpose).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import pyoxigraph as ox

from pfocr_ld import __version__, rdf, vocab
from pfocr_ld.vocab import T

if TYPE_CHECKING:
    from pfocr_ld.writers import SerializedFigure


@dataclass
class FigureResult:
    """One published figure of a build: its serialised documents and what it adds to the statistics."""

    serialized: SerializedFigure
    source_file: str
    genes: set[str]
    chemicals: set[str]
    papers: set[str]
    mentions: int
    validation_warnings: int = 0
    #: a reused figure's JSON-LD documents in the previous release (its bytes were not made again)
    documents_from: tuple[str, str] | None = None
    #: its genes, chemicals and papers as the build cache's string numbers (a reused figure's come
    #: so, and its IRI sets stay empty; a built one's are numbered when it is published)
    numbered: tuple[list[int], list[int], list[int]] | None = None
    #: a reused figure's tail in the previous release's dumps (see OutputWriter.add)
    tail: tuple[int, Callable[[], tuple[bytes, bytes]]] | None = None


@dataclass
class DatasetStatistics:
    figures: int = 0
    triples: int = 0  # distinct triples, counted by the writer
    genes: set[str | int] = field(default_factory=set)
    chemicals: set[str | int] = field(default_factory=set)
    papers: set[str | int] = field(default_factory=set)
    mentions: int = 0
    #: distinct triples by predicate IRI, instances by class IRI, distinct typed subjects: what
    #: SPARQL finds in the release (counted by the writer as triples are first published)
    predicate_triples: dict[str, int] = field(default_factory=dict)
    class_entities: dict[str, int] = field(default_factory=dict)
    typed_entities: int = 0

    def add_numbered(
        self, genes: Iterable[int], chemicals: Iterable[int], papers: Iterable[int], mentions: int
    ) -> None:
        """Count a figure whose nodes come as numbers (the build cache's string numbers): only the
        counts of distinct nodes are reported, so numbers count as well as IRIs, and faster."""
        self.figures += 1
        self.genes.update(genes)
        self.chemicals.update(chemicals)
        self.papers.update(papers)
        self.mentions += mentions


def build_date() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
    return dt.datetime.now(tz=dt.timezone.utc).date()


def _slug(term: str) -> str:
    """A partition's fragment for a class or property IRI: its CURIE (``wp-Pathway``), else a digest."""
    curie = vocab.CONVERTER.compress(term)
    if curie and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*:[A-Za-z0-9_.-]+", curie):
        return curie.replace(":", "-")
    return "iri-" + hashlib.blake2b(term.encode(), digest_size=6).hexdigest()


def version_iri(base: str, version_id: str) -> str:
    """The IRI of one release (HCLS version level): ``<site>/dataset/<version id>``."""
    return f"{urljoin(base, '../')}dataset/{version_id}"


def describe_dataset(
    stats: DatasetStatistics,
    base: str,
    turtle_name: str,
    *,
    version_id: str | None = None,
    previous_version: str | None = None,
    sparql_endpoint: str | None = None,
) -> bytes:
    """The VoID/DCAT/HCLS description of one build, as Turtle.

    ``version_id`` names the release (default: the build date; the build passes
    :func:`pfocr_ld.changes.version_id`, the date and a content digest); ``previous_version`` is the
    IRI of the release it revises (``pav:previousVersion``); ``sparql_endpoint`` the URL of a SPARQL
    endpoint serving it (``void:sparqlEndpoint``).

    Every count is what SPARQL finds in the release's records (``pfocr.nt.gz``; void.ttl itself is
    not counted): ``void:triples`` the distinct triples, ``void:entities`` the distinct subjects
    with an ``rdf:type`` (HCLS's "typed entities"), one class partition per class used with its
    instances (``?s a <class>``) and one property partition per predicate with its triples.
    Mention nodes are typed by their subclass only (``pfocr:GeneMention``…): a count of
    ``pfocr:Mention`` is ``pfocr:mentionCount``, which needs no subclass reasoning.
    """
    site = urljoin(base, "../")
    created = build_date().isoformat()
    summary = ox.NamedNode(f"{site}dataset")
    version_id = version_id or created
    version = ox.NamedNode(version_iri(base, version_id))
    triples: list[ox.Triple] = []

    def add(subject: ox.NamedNode, predicate: str, obj: ox.NamedNode | ox.Literal) -> None:
        triples.append(ox.Triple(subject, ox.NamedNode(predicate), obj))

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    def lit(value: str) -> ox.Literal:
        return ox.Literal(value)

    def integer(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=ox.NamedNode(T.xsd["integer"]))

    date = ox.Literal(created, datatype=ox.NamedNode(T.xsd["date"]))
    title = "Pathway Figure OCR (PFOCR)"
    description = (
        "Pathway figures mined from the published literature, with the genes, chemicals and diseases "
        "that optical character recognition found in them, as schema.org- and WikiPathways-aligned RDF."
    )

    # Summary level
    add(summary, T.rdf["type"], iri(T.dcat["Dataset"]))
    add(summary, T.dcterms["title"], ox.Literal(title, language="en"))
    add(summary, T.dcterms["description"], ox.Literal(description, language="en"))
    add(summary, T.dcterms["publisher"], iri(vocab.WIKIPATHWAYS_ORG))
    add(summary, T.dcterms["license"], iri(vocab.CC0))
    add(summary, T.dcterms["accrualPeriodicity"], iri("http://purl.org/cld/freq/irregular"))
    add(summary, T.foaf["page"], iri(vocab.SITE_ROOT))
    add(summary, T.dcterms["hasVersion"], version)
    add(summary, T.idot["preferredPrefix"], lit("pfocr"))

    # Version level
    for cls in (T.dcat["Dataset"], T.void["Dataset"]):
        add(version, T.rdf["type"], iri(cls))
    add(version, T.dcterms["title"], ox.Literal(f"{title}, release {version_id}", language="en"))
    add(version, T.dcterms["description"], ox.Literal(description, language="en"))
    add(version, T.dcterms["isVersionOf"], summary)
    add(version, T.pav["version"], lit(version_id))
    if previous_version is not None:
        add(version, T.pav["previousVersion"], iri(previous_version))
    if sparql_endpoint is not None:
        add(version, T.void["sparqlEndpoint"], iri(sparql_endpoint))
    add(version, T.pav["createdOn"], date)
    add(version, T.dcterms["issued"], date)
    add(version, T.pav["createdWith"], iri(f"https://pypi.org/project/pfocr-ld/{__version__}/"))
    add(version, T.dcterms["publisher"], iri(vocab.WIKIPATHWAYS_ORG))
    add(version, T.dcterms["license"], iri(vocab.CC0))
    add(version, T.void["uriSpace"], lit(base))
    for vocabulary in (vocab.WP, vocab.SCHEMA, vocab.DCTERMS, vocab.DC, vocab.PFOCR, vocab.CITO, vocab.FOAF):
        add(version, T.void["vocabulary"], iri(vocabulary))
    add(version, T.void["triples"], integer(stats.triples))
    add(version, T.void["entities"], integer(stats.typed_entities))
    add(version, T.void["classes"], integer(len(stats.class_entities)))
    add(version, T.void["properties"], integer(len(stats.predicate_triples)))
    add(version, T.pfocr["figureCount"], integer(stats.figures))
    add(version, T.pfocr["geneCount"], integer(len(stats.genes)))
    add(version, T.pfocr["chemicalCount"], integer(len(stats.chemicals)))
    add(version, T.pfocr["paperCount"], integer(len(stats.papers)))
    add(version, T.pfocr["mentionCount"], integer(stats.mentions))
    for cls, count in sorted(stats.class_entities.items()):
        partition = iri(f"{version.value}#class-{_slug(cls)}")
        add(version, T.void["classPartition"], partition)
        add(partition, T.rdf["type"], iri(T.void["Dataset"]))
        add(partition, T.void["class"], iri(cls))
        add(partition, T.void["entities"], integer(count))
    for predicate, count in sorted(stats.predicate_triples.items()):
        partition = iri(f"{version.value}#property-{_slug(predicate)}")
        add(version, T.void["propertyPartition"], partition)
        add(partition, T.rdf["type"], iri(T.void["Dataset"]))
        add(partition, T.void["property"], iri(predicate))
        add(partition, T.void["triples"], integer(count))

    # Distribution level
    for suffix, file_name, media_type in (
        ("ttl", turtle_name, "application/gzip" if turtle_name.endswith(".gz") else "text/turtle"),
        ("nt", "pfocr.nt.gz", "application/gzip"),
        ("jsonld", "jsonld/", "application/ld+json"),
    ):
        distribution = iri(f"{version.value}/{suffix}")
        add(version, T.dcat["distribution"], distribution)
        add(distribution, T.rdf["type"], iri(T.dcat["Distribution"]))
        add(distribution, T.rdf["type"], iri(T.void["Dataset"]))
        add(distribution, T.dcterms["title"], ox.Literal(f"{title} as {file_name}", language="en"))
        add(distribution, T.dcterms["isVersionOf"], version)
        add(distribution, T.dcterms["license"], iri(vocab.CC0))
        add(distribution, T.dcterms["format"], lit(media_type))
        add(distribution, T.dcat["mediaType"], lit(media_type))
        add(distribution, T.dcat["downloadURL"], iri(f"{site}downloads/{version_id}/{file_name}"))
        add(distribution, T.void["dataDump"], iri(f"{site}downloads/{version_id}/{file_name}"))
        add(distribution, T.void["triples"], integer(stats.triples))
        add(distribution, T.pav["createdOn"], date)

    return rdf.turtle_prefixes() + b"\n" + rdf.turtle(sorted(rdf.from_oxigraph(t) for t in triples))
