"""HTTP content negotiation for ``pfocr-ld serve``: media types, what each resource offers, ETags.

This module owns the choice of a representation from a request's headers and nothing else: the
``Accept`` parser (:func:`parse_accept`, RFC 9110 §12.5.1, malformed ranges skipped, never fatal),
:func:`negotiate` (the most specific matching range gives an offer its q; the server's order breaks
ties), the tables of what each kind of resource offers (``*_OFFERS``), the ``format=`` and URL-suffix
names, and the strong ETags of rendered bodies with the ``If-None-Match`` comparison. It reads no
store and knows no route; the handlers call it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

#: Format key → the Content-Type sent.
CONTENT_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
}
#: What each resource offers, in the server's order of preference (which breaks ties in q).
FIGURE_OFFERS = (
    ("text/html", "html"),
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"),
)
DATA_OFFERS = (
    ("text/turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("text/html", "html"),
)
SELECT_OFFERS = (
    ("application/sparql-results+json", "json"),
    ("application/json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("text/html", "html"),
)
GRAPH_OFFERS = (
    ("text/turtle", "ttl"),
    ("application/x-turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdfxml"),
    ("application/ld+json", "jsonld"),
    ("text/html", "html"),
)
ERROR_OFFERS = (("text/plain", "text"), ("text/html", "html"))
#: Pages for people that are also resources for programs (/, /figures/, /vocab): HTML breaks ties,
#: so `Accept: */*` gets the page and an RDF client that names a format gets data.
PAGE_OFFERS = (("text/html", "html"), *(offer for offer in DATA_OFFERS if offer[1] != "html"))
MARKDOWN_OFFERS = (("text/html", "html"), ("text/markdown", "markdown"), ("text/plain", "markdown"))
#: ``format=`` values of /sparql, and whether each is a SELECT/ASK or a graph format.
SELECT_FORMATS = frozenset({"json", "xml", "csv", "tsv"})
GRAPH_FORMATS = frozenset({"ttl", "nt", "rdfxml", "jsonld"})
#: Figure URL suffixes; ``html`` is the IRI itself, so it is the negotiated one.
FIGURE_SUFFIXES = ("html", "ttl", "jsonld", "nt")
DATA_SUFFIXES = {"ttl": "ttl", "nt": "nt", "jsonld": "jsonld", "rdf": "rdfxml"}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int | None:
        """3 for an exact match, 2 for ``type/*``, 1 for ``*/*``, ``None`` when it does not match."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 1
        if self.type != kind:
            return None
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else None


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed entries are skipped, never fatal."""
    ranges = []
    for part in header.split(",")[:64]:  # a client needs no more; bounds the work per request
        media, *params = (p.strip() for p in part.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        valid = True
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    valid = False
                valid = valid and 0.0 <= q <= 1.0
        if valid:
            ranges.append(MediaRange(kind, sub, q))
    return ranges


def negotiate(header: str | None, offers: Sequence[tuple[str, str]]) -> str | None:
    """The key of the best offer for an ``Accept`` header (RFC 9110 §12.5.1), ``None`` if none is acceptable.

    Each offer takes the q of the most specific range that matches it; the highest q wins and the
    server's order breaks ties. A missing header, or one with no parsable range, accepts anything.
    """
    ranges = parse_accept(header) if header and header.strip() else []
    if not ranges:
        return offers[0][1]
    best: str | None = None
    best_q = 0.0
    for media_type, key in offers:
        quality, specificity = 0.0, 0
        for media_range in ranges:
            found = media_range.specificity(media_type)
            if found is not None and (
                found > specificity or (found == specificity and media_range.q > quality)
            ):
                quality, specificity = media_range.q, found
        if quality > best_q:
            best, best_q = key, quality
    return best


def strong_etag(body: bytes) -> str:
    """A strong ETag for ``body``: 128 bits of its SHA-256, quoted."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 requires for it)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in if_none_match.split(","))


@dataclass(frozen=True)
class Representation:
    """A rendered body, its Content-Type and its strong ETag."""

    body: bytes
    content_type: str
    etag: str
