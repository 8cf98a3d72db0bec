"""Every vocabulary IRI and IRI pattern pfocr-ld uses, in one place.

The rest of the package never spells a namespace out: it imports the namespaces, terms and
minting helpers from here, so a change of namespace (or of ``schema:`` scheme) is one edit.
``PREFIXES`` is also the prefix map of the Turtle writer, the JSON-LD context and the SPARQL
query library, which keeps the three forms of the data spelled alike.
"""

from __future__ import annotations

import re
from typing import Final

import curies

# Namespaces ---------------------------------------------------------------------------------
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
OWL: Final = "http://www.w3.org/2002/07/owl#"
SKOS: Final = "http://www.w3.org/2004/02/skos/core#"
SH: Final = "http://www.w3.org/ns/shacl#"
WP: Final = "http://vocabularies.wikipathways.org/wp#"
DC: Final = "http://purl.org/dc/elements/1.1/"
DCTERMS: Final = "http://purl.org/dc/terms/"
# schema.org's own JSON-LD context expands to http://, so the http form is the one that compares
# equal to what every schema.org consumer produces.
SCHEMA: Final = "http://schema.org/"
FOAF: Final = "http://xmlns.com/foaf/0.1/"
CITO: Final = "http://purl.org/spar/cito/"
PAV: Final = "http://purl.org/pav/"
VOID: Final = "http://rdfs.org/ns/void#"
DCAT: Final = "http://www.w3.org/ns/dcat#"
PROV: Final = "http://www.w3.org/ns/prov#"
IDOT: Final = "http://identifiers.org/idot/"
OBO: Final = "http://purl.obolibrary.org/obo/"
PFOCR: Final = "https://pfocr.wikipathways.org/vocab#"

#: XSD's integer datatypes (xsd:integer and those derived from it), for reading query results.
XSD_INTEGER_TYPES: Final = frozenset(
    XSD + name
    for name in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort",
        "unsignedByte",
    )
)  # fmt: skip

# Identifier spaces (identifiers.org prefix/id form, as WikiPathways writes them).
NCBIGENE: Final = "https://identifiers.org/ncbigene/"
CHEBI: Final = "https://identifiers.org/chebi/"  # local part keeps "CHEBI:"
MESH_IDORG: Final = "https://identifiers.org/mesh/"
MESH_RDF: Final = "http://id.nlm.nih.gov/mesh/"
PMC: Final = "https://identifiers.org/pmc/"
DOI: Final = "https://doi.org/"
NCBITAXON: Final = OBO + "NCBITaxon_"
DOID: Final = OBO + "DOID_"
WIKIPATHWAYS: Final = "https://identifiers.org/wikipathways/"

# Pages and things outside any identifier space.
DEFAULT_BASE: Final = "https://pfocr.wikipathways.org/figures/"
SITE_ROOT: Final = "https://pfocr.wikipathways.org/"
CONTEXT_IRI: Final = "https://pfocr.wikipathways.org/ld/context.jsonld"
CC0: Final = "http://creativecommons.org/publicdomain/zero/1.0/"
WIKIPATHWAYS_ORG: Final = "https://www.wikipathways.org/"
PMC_IMAGE: Final = "https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/bin/{filename}"
NCBI_ROOT: Final = "https://www.ncbi.nlm.nih.gov/"
NCBI_GENE_PAGE: Final = "https://www.ncbi.nlm.nih.gov/gene/"
CHEBI_PAGE: Final = "https://www.ebi.ac.uk/chebi/searchId.do?chebiId="
NDEX_NETWORK: Final = "https://www.ndexbio.org/viewer/networks/"

PREFIXES: Final[dict[str, str]] = {
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "wp": WP,
    "dc": DC,
    "dcterms": DCTERMS,
    "schema": SCHEMA,
    "foaf": FOAF,
    "cito": CITO,
    "pav": PAV,
    "void": VOID,
    "dcat": DCAT,
    "prov": PROV,
    "idot": IDOT,
    "obo": OBO,
    "pfocr": PFOCR,
    "ncbigene": NCBIGENE,
    "chebi": CHEBI,
    "mesh": MESH_IDORG,
    "meshv": MESH_RDF,
    "pmc": PMC,
}

#: CURIE <-> IRI conversion for the prefix map above (curies handles the longest-match rules).
CONVERTER: Final = curies.Converter.from_prefix_map(PREFIXES)

#: One regular expression over all namespaces, longest first, each a group named by its prefix: the
#: writers' hot path asks it which namespace an IRI is in (one C-level match instead of a loop).
NAMESPACE_PATTERN: Final = re.compile(
    "|".join(
        f"(?P<{prefix}>{re.escape(namespace)})"
        for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
    )
)


def _terms(namespace: str, *names: str) -> dict[str, str]:
    return {name: namespace + name for name in names}


class T:
    """Terms, as IRI strings, grouped by vocabulary: ``T.wp["Pathway"]``."""

    rdf = _terms(RDF, "type")
    rdfs = _terms(RDFS, "label", "comment", "seeAlso")
    xsd = _terms(XSD, "string", "decimal", "gYear", "integer", "date", "dateTime", "anyURI")
    skos = _terms(SKOS, "exactMatch", "Collection")
    wp = _terms(
        WP,
        "Pathway",
        "DataNode",
        "GeneProduct",
        "Metabolite",
        "PublicationReference",
        "organism",
        "organismName",
        "bdbEntrezGene",
        "bdbChEBI",
        "isAbout",
        "diseaseOntologyTag",
        "ontologyTag",
    )
    dc = _terms(DC, "title", "identifier", "source")
    dcterms = _terms(
        DCTERMS,
        "identifier",
        "isPartOf",
        "references",
        "description",
        "license",
        "subject",
        "title",
        "bibliographicCitation",
        "issued",
        "created",
        "modified",
        "publisher",
        "accrualPeriodicity",
        "conformsTo",
        "format",
        "hasPart",
        "isVersionOf",
        "hasVersion",
        "creator",
        "language",
    )
    schema = _terms(
        SCHEMA,
        "Dataset",
        "ImageObject",
        "ScholarlyArticle",
        "Periodical",
        "Organization",
        "Gene",
        "ChemicalSubstance",
        "MolecularEntity",
        "DataDownload",
        "name",
        "alternateName",
        "description",
        "identifier",
        "url",
        "license",
        "keywords",
        "image",
        "contentUrl",
        "encodingFormat",
        "caption",
        "creator",
        "publisher",
        "isBasedOn",
        "citation",
        "headline",
        "datePublished",
        "isPartOf",
        "sameAs",
        "about",
        "mentions",
        "taxonomicRange",
        "issn",
        "version",
        "dateModified",
        "distribution",
        "includedInDataCatalog",
    )
    foaf = _terms(FOAF, "page", "Image", "depiction")
    cito = _terms(CITO, "cites")
    pav = _terms(PAV, "createdOn", "createdWith", "version", "previousVersion", "retrievedFrom")
    void = _terms(
        VOID,
        "Dataset",
        "triples",
        "entities",
        "distinctSubjects",
        "distinctObjects",
        "properties",
        "classes",
        "dataDump",
        "sparqlEndpoint",
        "vocabulary",
        "uriSpace",
        "exampleResource",
        "classPartition",
        "propertyPartition",
        "class",
        "property",
    )
    dcat = _terms(DCAT, "Dataset", "Distribution", "distribution", "downloadURL", "mediaType", "byteSize")
    prov = _terms(PROV, "wasDerivedFrom")
    idot = _terms(IDOT, "preferredPrefix")
    obo = _terms(OBO, "RO_0002162")  # RO_0002162: in taxon
    pfocr = _terms(
        PFOCR,
        # classes
        "Figure",
        "Mention",
        "GeneMention",
        "ChemicalMention",
        "DiseaseMention",
        "MatchType",
        # match-type individuals
        "SymbolMatch",
        "SynonymMatch",
        "FamilyExpansion",
        # properties
        "ocrWord",
        "matchedText",
        "matchSource",
        "matchType",
        "meshHeading",
        "pathwayScore",
        "figureType",
        "figureNumber",
        "figidAlias",
        "predictedOrganism",
        "predictedOrganismName",
        "figureCount",
        "geneCount",
        "chemicalCount",
        "paperCount",
        "mentionCount",
    )


#: How the genes tables' ``source`` column maps to a match type.
MATCH_TYPES: Final[dict[str, str]] = {
    "ncbigene_symbol": T.pfocr["SymbolMatch"],
    "ncbigene_synonym": T.pfocr["SynonymMatch"],
    "famplex_relations": T.pfocr["FamilyExpansion"],
    # the legacy inline lists name the same three sources in other words
    "symbol": T.pfocr["SymbolMatch"],
    "synonym": T.pfocr["SynonymMatch"],
    "famplex": T.pfocr["FamilyExpansion"],
}

#: The syntax of each identifier as published (a regex, no anchors): the record model checks
#: identifiers with these, and :data:`IRI_PATTERNS` puts them after their namespace.
ID_SYNTAX: Final[dict[str, str]] = {
    "ncbigene": r"[0-9]+",
    "chebi": r"CHEBI:[0-9]+",
    "mesh": r"[CD][0-9]{6,9}",
    "doid": r"[0-9]+",
    "ncbitaxon": r"[0-9]+",
    "pmc": r"PMC[0-9]+",
    "doi": r"10\.[0-9]{4,9}/\S+",
    "wikipathways": r"WP[0-9]+",
}

#: Regular expressions of the identifier IRIs; the SHACL shapes use the same patterns.
IRI_PATTERNS: Final[dict[str, str]] = {
    "ncbigene": rf"^https://identifiers\.org/ncbigene/{ID_SYNTAX['ncbigene']}$",
    "chebi": rf"^https://identifiers\.org/chebi/{ID_SYNTAX['chebi']}$",
    "mesh": rf"^https://identifiers\.org/mesh/{ID_SYNTAX['mesh']}$",
    "mesh_rdf": rf"^http://id\.nlm\.nih\.gov/mesh/{ID_SYNTAX['mesh']}$",
    "doid": rf"^http://purl\.obolibrary\.org/obo/DOID_{ID_SYNTAX['doid']}$",
    "ncbitaxon": rf"^http://purl\.obolibrary\.org/obo/NCBITaxon_{ID_SYNTAX['ncbitaxon']}$",
    "pmc": rf"^https://identifiers\.org/pmc/{ID_SYNTAX['pmc']}$",
    "doi": rf"^https://doi\.org/{ID_SYNTAX['doi']}$",
}


def gene_iri(ncbi_gene_id: str) -> str:
    return f"{NCBIGENE}{ncbi_gene_id}"


def chebi_iri(chebi_number: str) -> str:
    return f"{CHEBI}CHEBI:{chebi_number}"


def mesh_iri(mesh_id: str) -> str:
    return MESH_IDORG + mesh_id


def mesh_rdf_iri(mesh_id: str) -> str:
    return MESH_RDF + mesh_id


def taxon_iri(taxon_id: str) -> str:
    return f"{NCBITAXON}{taxon_id}"


def doid_iri(doid_number: str) -> str:
    return f"{DOID}{doid_number}"


def pmc_iri(pmcid: str) -> str:
    return PMC + pmcid
