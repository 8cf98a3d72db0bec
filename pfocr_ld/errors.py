"""The library's errors: one :class:`PfocrLdError` hierarchy, which the CLI maps to exit statuses.

Python callers (``run_named``, the server, a notebook) catch :class:`PfocrLdError`; each subclass
says with ``exit_code`` what ``pfocr-ld`` exits with when it reaches the command line: 2 for a usage
problem or unreadable input, 1 for a failure of something outside (an endpoint, a full disk).
"""

from __future__ import annotations


class PfocrLdError(Exception):
    """A problem worth one clear line to the user; ``exit_code`` is the CLI's exit status for it."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.message
