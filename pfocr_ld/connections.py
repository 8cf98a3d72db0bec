"""Slow and half-open HTTP clients cannot starve ``pfocr-ld serve``: head timeout and connection cap.

uvicorn (h11) gives a connection all the time it wants to send its request head, and before the
first request no timer runs at all: a connection that never sends a byte is kept for ever (one idle
65 s was still served). Its ``limit_concurrency`` counts *connections*, idle or not, and answers
``503`` to every request once they are over the limit: 1,100 connections that each sent half a
request head made every legitimate request a ``503`` until they closed.

:func:`guarded_protocol` makes a subclass of uvicorn's h11 protocol that

* arms a **head timer** whenever the connection waits for a request (when it is made, and after each
  response): a client that has not sent a complete request head (request line and headers) within
  ``head_timeout`` seconds gets ``408`` and is disconnected. The timer stops as soon as h11 has the
  whole head (its peer state leaves ``IDLE``), so slow bodies and long queries are not affected;
* keeps at most ``max_connections`` open: a connection over the limit **evicts the connection that
  has waited longest for a request head** (a slow or half-open client, or an idle keep-alive one),
  and is itself refused only when every other connection has a request in progress. So a flood of
  half-open connections is cycled out by new clients instead of locking them out.

uvicorn's own ``timeout_keep_alive`` still closes a keep-alive connection that stays silent after a
response; ``limit_concurrency`` is not used (the cap here bounds requests in flight too, since an
h11 connection carries one request at a time).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("pfocr_ld.serve")

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    b"content-length: 54\r\n\r\n408 Request Timeout: the request head came too slowly\n"
)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head timeout and a connection cap (see the module docstring)."""

    head_timeout: float = 10.0
    max_connections: int = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        #: monotonic time since which the connection waits for a request head; None while one runs.
        self.waiting_since: float | None = None

    # waiting for a request head --------------------------------------------------------------------
    def _wait_for_head(self) -> None:
        self._stop_head_timer()
        self.waiting_since = time.monotonic()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self.waiting_since = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        # h11 cannot answer a request it has not received; nothing else has been sent on this
        # connection since the last response, so a complete 408 written by hand is well-formed.
        if self.conn.our_state is h11.IDLE:
            self.transport.write(_TIMEOUT_RESPONSE)
        self.drop()

    def drop(self) -> None:
        """Close this connection now (it is waiting for a request head, so no response is cut)."""
        self._stop_head_timer()
        self._unset_keepalive_if_required()
        self.transport.close()

    # uvicorn's hooks -------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_head()
        if len(self.connections) > self.max_connections:
            waiting = [
                c
                for c in self.connections
                if isinstance(c, GuardedH11Protocol) and c is not self and c.waiting_since is not None
            ]
            if waiting:
                oldest = min(waiting, key=lambda c: c.waiting_since or 0.0)
                log.debug("connection limit (%d): closing the longest-waiting one", self.max_connections)
                oldest.drop()
            else:  # every other connection has a request in progress
                log.debug("connection limit (%d) reached: refusing a connection", self.max_connections)
                self.drop()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.waiting_since is not None and self.conn.their_state is not h11.IDLE:
            self._stop_head_timer()  # the head is complete: the request is the app's business now

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._wait_for_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)


def guarded_protocol(*, head_timeout: float, max_connections: int) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` class with these limits, for ``uvicorn.Config(http=…)``."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"head_timeout": head_timeout, "max_connections": max_connections},
    )


__all__ = ["GuardedH11Protocol", "guarded_protocol"]
