"""The Jinja2 environment of the HTML pages, and the small view-models every page shares.

Every page is a template under ``templates/html/`` rendered by :data:`ENV`, created once with
``autoescape`` on (every ``{{ value }}`` is HTML-escaped, quotes included) and ``StrictUndefined`` (a
misspelt name is an error, not an empty string). Python builds plain dataclasses (the view-models:
the texts, links and rows a page shows) and the templates only lay them out, so no function passes
"already escaped" HTML around. Markup that is not escaped is made in exactly two reviewed places:
:func:`script_json_markup` (JSON inside a ``<script>`` data block, with ``<``, ``>`` and ``&`` escaped
as ``\\u003c``…) and ``model_pages.markdown_page`` (markdown-it-py's HTML, raw HTML in the source off).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
#: What browsers ignore in a URL before reading its scheme: leading C0 controls and spaces; tabs and
#: newlines anywhere (so "java\tscript:" is a javascript: URL to them).
_URL_IGNORED = re.compile(r"^[\x00-\x20]+|[\t\n\r]")


def safe_href(href: str | None) -> str | None:
    """``href`` if following it can only load a page: an http(s) URL or a relative reference.

    Values in the data (SPARQL results, figure links) are anyone's: ``javascript:``, ``data:``,
    ``vbscript:`` and every other scheme are shown as text, never made into links (``None``).
    """
    if not href:
        return None
    match = _SCHEME.match(_URL_IGNORED.sub("", href))
    if match is None or match.group(1).lower() in ("http", "https"):
        return href
    return None


def script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/…json">``: ``<`` ``>`` ``&`` become ``\\u003c`` etc.

    Escaping every ``<`` (not only ``</``) also rules out ``<!--`` and ``<script`` tricks; the text
    is still exactly the same JSON to any JSON parser.
    """
    text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_json_markup(value: Any) -> Markup:
    """:func:`script_json` as markup for a template (the ``script_json`` filter): reviewed here, once.

    Its output holds no ``<``, ``>`` or ``&`` at all, so it cannot end the ``<script>`` element or
    start a tag; HTML-escaping it instead would corrupt the JSON (``"`` inside a script is not decoded).
    """
    return Markup(script_json(value))  # reviewed: see the docstring


def _thousands(value: int) -> str:
    return f"{value:,}"


ENV = Environment(
    loader=PackageLoader("pfocr_ld.templates", "html"),
    autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters["script_json"] = script_json_markup
ENV.filters["thousands"] = _thousands


def render(name: str, shell: Shell | None, page: Any) -> str:
    """The template ``html/<name>`` laying out ``page`` (its view-model) in ``shell``."""
    return ENV.get_template(name).render(shell=shell, page=page)


@dataclass
class Link:
    """A link as a page shows it; ``href`` ``None`` shows ``text`` alone (no address, or an unsafe one)."""

    text: str
    href: str | None = None
    external: bool = False  # rel="noopener"
    title: str = ""
    css: str = ""
    aria_label: str = ""
    media: str = ""  # the type attribute: the media type behind the link


def link(href: str | None, text: str, *, external: bool = True, **attributes: str) -> Link:
    """A :class:`Link` to ``href`` if :func:`safe_href` allows it, else the text alone."""
    return Link(text, safe_href(href), external, **attributes)


@dataclass
class Fact:
    """One row of a definition list: a text, or links joined by ``separator``, or code."""

    label: str
    text: str = ""
    links: list[Link] = field(default_factory=list)
    code: bool = False
    separator: str = ", "


def facts(rows: Sequence[Fact]) -> list[Fact]:
    """The rows that have something to show (an empty value is left out, as is a row of empty links)."""
    return [row for row in rows if row.text or any(item.text for item in row.links)]


@dataclass
class NavItem:
    href: str
    label: str
    current: bool


@dataclass
class Shell:
    """What every page has around its content: the title, the navigation, the scripts."""

    title: str
    root: str
    figures_path: str
    nav: list[NavItem]
    scripts: list[str]


_NAV = (
    ("", "Home"),
    ("/figures", "Figures"),
    ("/enrich", "Gene list"),
    ("/sparql", "SPARQL"),
    ("/void", "Dataset"),
)


def shell(
    title: str,
    *,
    root: str = "",
    figures_path: str = "/figures/",
    current: str | None = None,
    scripts: Sequence[str] = (),
) -> Shell:
    """The page shell's view-model; ``current`` names the navigation entry of this page."""
    nav = [
        NavItem(root + (figures_path if path == "/figures" else path or "/"), label, current == label)
        for path, label in _NAV
    ]
    return Shell(title, root, figures_path, nav, [root + s for s in scripts])


def format_links(formats: Sequence[tuple[str, str, str]]) -> list[Link]:
    """(label, media type, href) of a resource's data formats as links with a ``type``."""
    return [Link(label, href, media=media) for label, media, href in formats]
