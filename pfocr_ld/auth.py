"""Credentials for servers that ask for them: HTTP Digest (Virtuoso) and Basic, never echoed.

This module owns where a user name and password come from for ``pfocr-ld publish`` (and for an
endpoint URL of ``query``): the options ``--user`` / ``--password-env NAME``, the environment
(:data:`USER_ENV`, :data:`PASSWORD_ENV`), or credentials written into a URL
(``http://user:pass@host/…``), which are taken *out* of the URL and used as authentication, so that
the URL a message prints carries none. A password is never an option value (``ps`` shows a
command line to every user of the machine); one in a URL is accepted with a warning.

The authentication itself is httpx's own :class:`httpx.DigestAuth` and :class:`httpx.BasicAuth`.
Digest (Virtuoso's ``/sparql-graph-crud-auth`` and ``/sparql-auth``) never sends the password,
only a hash bound to the server's nonce; Basic sends it base64-encoded with every request, so use
it over HTTPS or on loopback only.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

import click
import httpx

#: The environment variables read when no option names the user or the password.
USER_ENV = "PFOCR_LD_USER"
PASSWORD_ENV = "PFOCR_LD_PASSWORD"

Scheme = Literal["digest", "basic"]
SCHEMES: tuple[Scheme, ...] = ("digest", "basic")

# scheme://authority rest: the authority ends at the first "/", "?" or "#" (RFC 3986 §3.2), and the
# userinfo is everything before its *last* "@" (an unencoded "@" in a password is common enough).
_AUTHORITY_RE = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^/?#]*)(?P<rest>.*)$", re.S
)


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """``url`` without its userinfo, and the user and password it carried (percent-decoded).

    ``http://dba:s%40cret@host/sparql`` → ``("http://host/sparql", "dba", "s@cret")``; a URL without
    userinfo comes back unchanged with ``(None, None)``; a user without ``:`` has password ``None``.
    """
    match = _AUTHORITY_RE.match(url)
    if match is None or "@" not in match["authority"]:
        return url, None, None
    userinfo, _, host = match["authority"].rpartition("@")
    user, colon, password = userinfo.partition(":")
    return match["scheme"] + host + match["rest"], unquote(user), unquote(password) if colon else None


def redact(url: str) -> str:
    """``url`` fit to print: any userinfo replaced by ``***``, whether or not the URL is valid."""
    match = _AUTHORITY_RE.match(url)
    if match is not None:
        if "@" not in match["authority"]:
            return url
        host = match["authority"].rpartition("@")[2]
        return match["scheme"] + "***@" + host + match["rest"]
    # Not scheme://…: still hide anything that looks like userinfo before an "@".
    return re.sub(r"[^/@\s]*@", "***@", url)


@dataclass(frozen=True)
class Credentials:
    """A user and password for one server, and how to present them. The password is never printed."""

    user: str
    password: str = field(repr=False)
    scheme: Scheme = "digest"

    def auth(self) -> httpx.Auth:
        """A fresh httpx auth object (Digest keeps the server's last challenge: one per endpoint)."""
        if self.scheme == "basic":
            return httpx.BasicAuth(self.user, self.password)
        return httpx.DigestAuth(self.user, self.password)


def same_origin(first: str, second: str) -> bool:
    """Whether two URLs share scheme, host and port (credentials go to their own origin only)."""
    try:
        a, b = httpx.URL(first), httpx.URL(second)
    except httpx.InvalidURL:
        return False
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def resolve_credentials(
    urls: Mapping[str, str | None],
    *,
    user: str | None,
    password_env: str | None,
    scheme: Scheme,
    environ: Mapping[str, str] | None = None,
    prompt: bool | None = None,
) -> tuple[dict[str, str | None], Credentials | None]:
    """The URLs without credentials (by option name) and the credentials to use, if any.

    The user is ``--user``, else :data:`USER_ENV`, else the one in a URL. The password is the
    variable ``--password-env`` names (which must be set), else :data:`PASSWORD_ENV`, else the one in
    a URL (with a warning: a command line is public), else, on a terminal, a hidden prompt. A user
    without any password is a usage error, so is a password without a user, so are two URLs with
    different credentials. Messages name variables and options, never a value.
    """
    environ = os.environ if environ is None else environ
    clean: dict[str, str | None] = {}
    from_url: tuple[str, str | None] | None = None
    for option, url in urls.items():
        if url is None:
            clean[option] = None
            continue
        clean[option], url_user, url_password = split_credentials(url)
        if url_user is None:
            continue
        if url_password is not None:
            click.echo(
                f"warning: {option} carries a password in its URL, which other users of this machine can "
                f"see (ps); put it in {PASSWORD_ENV} instead",
                err=True,
            )
        if from_url is not None and from_url != (url_user, url_password):
            raise click.UsageError("the URLs carry different credentials; give one user with --user")
        from_url = (url_user, url_password)
    name = user or environ.get(USER_ENV) or (from_url[0] if from_url else None)
    password: str | None
    if password_env is not None:
        if password_env not in environ:
            raise click.UsageError(f"--password-env: the environment variable {password_env} is not set")
        password = environ[password_env]
    elif PASSWORD_ENV in environ:
        password = environ[PASSWORD_ENV]
    else:
        password = from_url[1] if from_url else None
    if not name:
        if password_env is not None:
            raise click.UsageError(f"--password-env needs a user: give --user NAME or set {USER_ENV}")
        return clean, None  # a stray PFOCR_LD_PASSWORD without a user authenticates nobody
    if password is None:
        interactive = sys.stdin.isatty() if prompt is None else prompt
        if not interactive:
            raise click.UsageError(
                f"no password for user {name!r}: set {PASSWORD_ENV} (or name another variable with "
                "--password-env NAME)"
            )
        password = click.prompt(f"password for {name}", hide_input=True, err=True)
    return clean, Credentials(name, password, scheme)


def auth_challenge(response: httpx.Response) -> str:
    """The schemes a 401 response asks for (``Digest``, ``Basic``), for a message; ``""`` if none."""
    schemes = [h.split(" ", 1)[0] for h in response.headers.get_list("www-authenticate") if h.strip()]
    return " or ".join(dict.fromkeys(schemes))
