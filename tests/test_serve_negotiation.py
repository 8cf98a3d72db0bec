"""``pfocr_ld.serve.negotiation`` alone: the Accept parser, the offer tables and ETags.

How the server negotiates each route over HTTP is tested in tests/test_serve.py.
"""

from __future__ import annotations

import pytest

from pfocr_ld.serve.negotiation import (
    CONTENT_TYPES,
    DATA_OFFERS,
    ERROR_OFFERS,
    FIGURE_OFFERS,
    GRAPH_OFFERS,
    MARKDOWN_OFFERS,
    PAGE_OFFERS,
    SELECT_OFFERS,
    MediaRange,
    etag_matches,
    negotiate,
    parse_accept,
    strong_etag,
)


def test_parse_accept_keeps_valid_ranges_and_skips_the_rest() -> None:
    ranges = parse_accept("Text/HTML;level=1;q=0.5, */html, text, image/*;q=2, */*;q=-1, */*;q=0, x/y;q=x")
    assert ranges == [MediaRange("text", "html", 0.5), MediaRange("*", "*", 0.0)]


def test_media_range_specificity() -> None:
    assert MediaRange("text", "turtle", 1).specificity("text/turtle") == 3
    assert MediaRange("text", "*", 1).specificity("text/turtle") == 2
    assert MediaRange("*", "*", 1).specificity("text/turtle") == 1
    assert MediaRange("text", "html", 1).specificity("text/turtle") is None
    assert MediaRange("image", "*", 1).specificity("text/turtle") is None


def test_the_server_order_breaks_ties_in_q() -> None:
    assert negotiate("text/turtle, application/n-triples", FIGURE_OFFERS) == "ttl"
    assert negotiate("application/n-triples, text/turtle", FIGURE_OFFERS) == "ttl"
    assert negotiate("*/*", PAGE_OFFERS) == "html"  # a browser gets the page
    assert negotiate("*/*", DATA_OFFERS) == "ttl"  # a data client gets data
    assert negotiate("application/json", SELECT_OFFERS) == "json"
    assert negotiate("text/plain", MARKDOWN_OFFERS) == "markdown"
    assert negotiate("image/png", ERROR_OFFERS) is None


def test_every_offer_has_a_content_type() -> None:
    assert {key for _, key in PAGE_OFFERS + MARKDOWN_OFFERS} <= set(CONTENT_TYPES)
    for table in (FIGURE_OFFERS, DATA_OFFERS, SELECT_OFFERS, GRAPH_OFFERS, ERROR_OFFERS):
        for media_type, key in table:
            assert key in CONTENT_TYPES, (media_type, key)


def test_strong_etags_name_the_body() -> None:
    etag = strong_etag(b"body")
    assert etag == strong_etag(b"body") != strong_etag(b"body!")
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ("*", True),
        (' "other" , "abc" ', True),
        ('W/"abc"', True),  # If-None-Match compares weakly (RFC 9110 §13.1.2)
        ('"abcd"', False),
        ('"ab"', False),
    ],
)
def test_etag_matches_if_none_match(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches
