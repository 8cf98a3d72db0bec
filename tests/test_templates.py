"""The HTML templates of `pfocr-ld serve`: found as package resources, escaped by construction.

Claims: every template the page functions render is a file of the package (`importlib.resources`), so
an installed wheel has them; the Jinja2 environment escapes every value (autoescape) and fails on a
name the view-model lacks (StrictUndefined); no module of the package escapes by hand or marks a
string as markup outside the two reviewed places; and for every page template, hostile strings
(`<script>`, quotes, `&`, `]]>`, `{{ }}`, control and non-BMP characters) in every field of its
view-model never change the page's structure: the elements and attribute names of the page are the
same as with harmless values, no hostile tag or attribute gets in, and the title round-trips.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import re
import types
import typing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError
from markupsafe import Markup

import pfocr_ld.templates as templates
from pfocr_ld.templates import _render, enrich_page, model_pages, query_pages
from pfocr_ld.templates._render import ENV, Link, render, shell

PACKAGE = Path(templates.__file__).parent

#: The page templates and the view-model each lays out (``base`` and ``macros`` are parts of them).
PAGES: dict[str, type] = {
    "error.html.j2": templates.ErrorView,
    "figure.html.j2": templates.FigurePageView,
    "figure_index.html.j2": templates.FigureIndexView,
    "landing.html.j2": templates.LandingView,
    "void.html.j2": templates.VoidView,
    "results.html.j2": templates.ResultsSectionView,
    "query.html.j2": templates.QueryPageView,
    "enrich.html.j2": enrich_page.EnrichView,
    "vocab.html.j2": model_pages.VocabView,
    "markdown.html.j2": model_pages.MarkdownView,
    "named_query.html.j2": query_pages.NamedQueryView,
}

#: Fields whose value picks a branch of the template: drawn from their values, kept by `_harmless`.
CHOICES: dict[tuple[type, str], tuple[str, ...]] = {
    (templates.TermCell, "kind"): ("", "link", "iri", "code", "literal"),
    (templates.ResultsSectionView, "state"): ("empty", "error", "ask", "graph", "select"),
}
KEYWORDS = {value for values in CHOICES.values() for value in values}

HOSTILE_PIECES = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "&amp;",
    "&",
    "]]>",
    "</textarea>",
    "</script>",
    "<!--",
    "{{ 7 * 7 }}",
    "{% raw %}",
    "javascript:alert(1)",
    "\u2028",
    "\x00",
    "\r\n",
    "𝔘ñíçødé",
    "<",
    ">",
    '"',
    "'",
)
hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(max_size=4), min_size=0, max_size=3).map(
    "".join
)


def _strategy(hint: Any, owner: type | None = None, name: str = "") -> st.SearchStrategy[Any]:
    """Values of a view-model field's type, every string hostile."""
    if owner is not None and (owner, name) in CHOICES:
        return st.sampled_from(CHOICES[(owner, name)])
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_strategy(arg) for arg in typing.get_args(hint)))
    if hint is type(None):
        return st.none()
    if hint is str or hint is Any:
        return hostile_text
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(min_value=0, max_value=10**9)
    if hint is float:
        return st.floats(min_value=0, max_value=1e6)
    if hint is Markup:
        return hostile_text.map(Markup.escape)  # what markdown_page passes is markup; its text is data
    if origin in (list, typing.Sequence) or hint is list:
        (item,) = typing.get_args(hint)
        return st.lists(_strategy(item), max_size=2)
    if origin is dict:
        key, value = typing.get_args(hint)
        return st.dictionaries(_strategy(key), _strategy(value), max_size=2)
    if dataclasses.is_dataclass(hint):
        assert isinstance(hint, type)
        hints = typing.get_type_hints(hint)
        return st.builds(
            hint, **{f.name: _strategy(hints[f.name], hint, f.name) for f in dataclasses.fields(hint)}
        )
    raise AssertionError(f"no strategy for {hint!r}")


def _harmless(value: Any) -> Any:
    """The same view-model with every string replaced by "x" (or kept empty, or kept as a keyword)."""
    if isinstance(value, Markup):
        return Markup("x") if value else Markup("")
    if isinstance(value, str):
        return value if value in KEYWORDS or not value else "x"
    if isinstance(value, list):
        return [_harmless(item) for item in value]
    if isinstance(value, dict):
        return {f"k{i}": _harmless(item) for i, item in enumerate(value.values())}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: _harmless(getattr(value, f.name)) for f in dataclasses.fields(value)}
        )
    return value


class Structure(HTMLParser):
    """A page's elements with their attribute names, its attributes, and its title text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, ...]] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.title: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, *sorted(name for name, _ in attrs)))
        self.attributes.extend(attrs)
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(("/" + tag,))
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data


def _parse(text: str) -> Structure:
    parser = Structure()
    parser.feed(text)
    parser.close()
    return parser


shells = _strategy(_render.Shell)


def test_every_rendered_template_is_a_package_resource() -> None:
    """The templates the code names are files of the package (what importlib finds in a wheel too)."""
    html = importlib.resources.files("pfocr_ld.templates").joinpath("html")
    files = {entry.name for entry in html.iterdir() if entry.name.endswith(".html.j2")}
    named = set()
    for module in PACKAGE.glob("*.py"):
        named |= set(re.findall(r'render\(\s*"([^"]+)"', module.read_text(encoding="utf-8")))
    assert named == set(PAGES) and named <= files
    assert set(ENV.list_templates()) == files == set(PAGES) | {"base.html.j2", "macros.html.j2"}
    for name in files:  # each compiles, and each page is laid out from its view-model alone
        ENV.get_template(name)


def test_environment_escapes_and_rejects_unknown_names() -> None:
    assert ENV.autoescape("page.html.j2") if callable(ENV.autoescape) else ENV.autoescape
    assert ENV.from_string("{{ v }}").render(v='<a href="x">&') == "&lt;a href=&#34;x&#34;&gt;&amp;"
    with pytest.raises(UndefinedError):
        ENV.from_string("{{ v.missing }}").render(v=Link("x"))
    with pytest.raises(UndefinedError):  # a page given the wrong view-model fails, never renders blanks
        render("error.html.j2", shell("t"), Link("x"))


def test_no_hand_made_markup_in_the_package() -> None:
    """No esc()/html.escape, no |safe, no autoescape off; Markup() made in the two reviewed places only."""
    sources = {path.name: path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py")}
    markup = {name: len(re.findall(r"\bMarkup\(", text)) for name, text in sources.items()}
    assert {name: count for name, count in markup.items() if count} == {"_render.py": 1, "model_pages.py": 1}
    for name, text in sources.items():
        assert not re.search(r"\besc\(|html\.escape|\bescape\(", text), name
        # no HTML written in Python strings (N-Triples terms such as f"<{iri}>" are not tags)
        tag = r"<(a|p|div|ul|li|td|th|tr|code|span|section|h[1-6]|dl|dd)[\s>]"
        assert not re.search(r"""["'][^"'\n]*""" + tag, text), name
    for path in (PACKAGE / "html").iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|\|\s*e\b", text), path.name


@pytest.mark.parametrize("name", sorted(PAGES))
def test_hostile_strings_never_change_a_page(name: str) -> None:
    """Every field of the page's view-model (and of the shell) hostile: the same elements and
    attribute names as with harmless values, no hostile element or attribute, the title intact."""
    view_type = PAGES[name]

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(page_shell=shells, view=_strategy(view_type))
    def check(page_shell: _render.Shell, view: Any) -> None:
        hostile = render(name, page_shell, view)
        harmless = render(name, _harmless(page_shell), _harmless(view))
        parsed, expected = _parse(hostile), _parse(harmless)
        assert parsed.tags == expected.tags
        assert "<script>alert" not in hostile and "<img src=x" not in hostile and "<!--" not in hostile
        assert not any(attribute.startswith("on") for attribute, _ in parsed.attributes)
        if name != "results.html.j2":  # a fragment; every other page has the shell's title
            assert parsed.title == f"{page_shell.title} — PFOCR linked data"

    check()


@settings(max_examples=30, deadline=None)
@given(value=hostile_text, language=hostile_text, iri_tail=hostile_text)
def test_hostile_sparql_results_become_text_or_http_links(value: str, language: str, iri_tail: str) -> None:
    """Result terms from anyone's data: IRIs of any scheme, literals, language tags, blank nodes."""
    rows = [
        {
            "s": {"type": "uri", "value": scheme + iri_tail},
            "o": {"type": "literal", "value": value, "xml:lang": language},
            "b": {"type": "bnode", "value": value},
        }
        for scheme in ("javascript:", "data:text/html,", "https://example.org/", "vbscript:", "")
    ]
    results = templates.ResultsView(kind="select", variables=["s", "o", "b"], rows=rows, download_query=value)
    page = templates.query_page(
        examples=[templates.Example(value, value, value, value)],
        selected=value,
        text=value,
        results=results,
        local=lambda _iri: None,
        timeout=1.0,
        max_results=10,
    )
    parsed = _parse(page)
    hrefs = [v or "" for attribute, v in parsed.attributes if attribute in ("href", "src")]
    assert all(templates.safe_href(href) == href for href in hrefs)
    assert sum(tag == ("td",) for tag in parsed.tags) == 3 * len(rows)


def test_markdown_page_keeps_raw_html_as_text() -> None:
    source = "# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> [x](javascript:alert(1))\n"
    page = model_pages.markdown_page("Mapping", source, source_link="javascript:alert(1)")
    parsed = _parse(page)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert not any(v and v.startswith("javascript:") for _, v in parsed.attributes)
    assert ("h1",) in parsed.tags
