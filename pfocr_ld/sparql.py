"""SPARQL text as users write it: the prefixes every query may use undeclared, and readable errors.

WikiPathways' endpoint (Virtuoso) predeclares its common prefixes, so the queries its users keep
often start with ``SELECT`` and use ``wp:``, ``dcterms:`` or ``rdfs:`` undeclared. Our embedded
store, ``pfocr-ld query`` and ``pfocr-ld serve`` hand the engine the same kind of map
(:data:`PREDECLARED`: every prefix of :data:`pfocr_ld.vocab.PREFIXES`); a query's own ``PREFIX``
lines still win. An undeclared prefix outside that map is answered with its name, not the parser's
list of expected characters.
"""

from __future__ import annotations

import re
from typing import Final

from pfocr_ld import vocab

#: Prefixes a query may use without declaring them.
PREDECLARED: Final[dict[str, str]] = dict(vocab.PREFIXES)

_UNKNOWN_PREFIX = re.compile(r"Unknown namespace prefix : (\S*)")


def undeclared_prefix(text: str) -> str | None:
    """The first prefix a query uses without declaring it, or ``None`` when none is to blame.

    Oxigraph's message for an unknown prefix is a list of expected characters, and it has no
    parse-only call (a trial query would be evaluated, SERVICE included), so rdflib's parser, which
    never evaluates anything here, names the prefix. Only called after Oxigraph rejected the text.
    """
    from rdflib.plugins.sparql import prepareQuery  # the error path only: rdflib takes 0.3 s to import

    try:
        prepareQuery(text, initNs=PREDECLARED)
    except Exception as error:  # rdflib raises a bare Exception for an unknown prefix
        found = _UNKNOWN_PREFIX.search(str(error))
        if found:
            return "" if found.group(1) == "None" else found.group(1)
    return None


def syntax_error_message(text: str, error: SyntaxError) -> str:
    """A one-line message for a parser error; an undeclared prefix is named as such."""
    missing = undeclared_prefix(text)
    if missing is not None:
        known = ", ".join(f"{name}:" for name in sorted(PREDECLARED))
        return (
            f"prefix {missing}: is not declared; add 'PREFIX {missing}: <…>' or use a predeclared "
            f"prefix ({known})"
        )
    message = str(error)
    first_line = message.splitlines()[0] if message else "invalid query"
    return f"SPARQL syntax error: {first_line}"
