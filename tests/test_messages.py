"""``pfocr_ld.messages.excerpt``: outside text on one bounded line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pfocr_ld.messages import excerpt


def test_whitespace_runs_become_one_space_and_long_text_is_cut() -> None:
    assert excerpt("  a\n\tb  \r\n c ") == "a b c"
    assert excerpt("x" * 10, limit=4) == "xxxx…"
    assert excerpt("x" * 4, limit=4) == "xxxx"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000), st.integers(min_value=1, max_value=500))
def test_one_line_within_the_limit(text: str, limit: int) -> None:
    short = excerpt(text, limit)
    assert "\n" not in short and "\r" not in short
    assert len(short) <= limit + 1
    joined = " ".join(text.split())
    if len(joined) > limit:
        assert short.endswith("…") and joined.startswith(short[:-1]) and len(short) == limit + 1
    else:
        assert short == joined
