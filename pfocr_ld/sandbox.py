"""No network for processes that evaluate SPARQL text written by someone else.

Why this exists: pyoxigraph evaluates ``SERVICE <url> { … }`` by sending an HTTP request to ``url``
and reading the answer, and ``Store.query`` (0.5) has no option to turn federation off. A public
endpoint that runs client queries would then send requests anywhere its clients ask (server-side
request forgery: internal services, cloud metadata addresses, DNS names that leak data). Refusing
``SERVICE`` by reading the query text is not enough: SPARQL has ``\\uXXXX`` escapes everywhere,
prefixed names with escaped quotes, comments, case, ``SERVICE ?var``; a lexer that disagrees with the
engine on one character lets a clause through (one did). So the processes that run such text lose
the *ability* to open a connection, before they see any query:

1. **seccomp** (libseccomp through :mod:`pyseccomp`): the ``socket()`` system call fails with
   ``EPERM`` for every address family, and so does ``io_uring_setup`` (io_uring can open sockets
   without ``socket()``). The process cannot make a socket at all: no TCP or UDP, no DNS lookup, and
   no Unix socket either, through which a local daemon (an mDNS or caching resolver, nscd) could be
   asked to make a request on its behalf. Sockets made before (the pipe to the parent process) keep
   working. The filter is inherited by every thread and child process created afterwards and can
   never be removed. This layer is required: :func:`verify` fails without it.
2. **a network namespace of its own** (``unshare(CLONE_NEWNET)``, with ``CLONE_NEWUSER`` when not
   root, only while the process is single-threaded): no interface but a loopback that is down, so
   even a socket obtained some other way reaches nothing ("Network is unreachable"). Best effort:
   containers often forbid it; it is reported, not required.

:func:`deny_network` installs both and then :func:`verify` checks that the sandbox holds (no socket
of any family can be made); it raises :class:`SandboxError` otherwise, so callers fail closed.
:func:`run_in_sandbox` runs a function in a fresh Python process under the sandbox and streams its
messages back (``pfocr-ld query`` on local data); :func:`probe` checks, in a throw-away process, that
a sandbox can be installed here at all (``pfocr-ld serve`` refuses to start when it cannot).

Linux only; elsewhere :func:`deny_network` raises :class:`SandboxError`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import importlib
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
#: socket() errors that mean "this process may not / cannot make that socket".
_DENIED = frozenset({errno.EPERM, errno.EACCES, errno.EAFNOSUPPORT})


class SandboxError(RuntimeError):
    """The network could not be taken away from this process (so it must not run client queries)."""


def _threads() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0  # unknown: treat as not single-threaded


def _net_namespace() -> str:
    """Leave the host's network: a new, empty network namespace (``"netns"``), or the reason why not."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    # unshare() changes only the calling thread's namespace, and CLONE_NEWUSER needs a
    # single-threaded process; a process with threads gets the seccomp layer only.
    if _threads() != 1:
        return "the process has threads"
    libc = ctypes.CDLL(None, use_errno=True)
    before = os.stat("/proc/self/ns/net").st_ino
    if libc.unshare(_CLONE_NEWNET) != 0:
        # Not root (or no CAP_SYS_ADMIN here): a user namespace of our own gives that capability
        # inside it. The process keeps its own uid and gid (mapped to themselves).
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
            return f"unshare: {os.strerror(ctypes.get_errno())}"
        try:
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
        except OSError as error:  # the namespace holds anyway; only the id mapping is missing
            return f"netns (uid map: {error.strerror})"
    if os.stat("/proc/self/ns/net").st_ino == before:
        return "unshare had no effect"
    return "netns"


def _seccomp() -> str:
    """Deny socket() and io_uring_setup() to this process and all its threads (``"seccomp"``), or why not."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError, OSError) as error:  # RuntimeError: libseccomp.so.2 not found
        return f"pyseccomp/libseccomp unavailable: {error}"
    try:
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        with contextlib.suppress(OSError):  # all threads at once, where the kernel can (3.17+)
            rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "socket")
        with contextlib.suppress(OSError, ValueError):  # unknown to an old libseccomp: no io_uring there
            rules.add_rule(seccomp.ERRNO(errno.EPERM), "io_uring_setup")
        rules.load()
    except (OSError, ValueError) as error:
        return f"seccomp: {error}"
    return "seccomp"


def verify() -> None:
    """Raise :class:`SandboxError` unless this process is unable to make any socket."""
    kinds = (
        (socket.AF_INET, socket.SOCK_STREAM, "TCP/IPv4"),
        (socket.AF_INET6, socket.SOCK_STREAM, "TCP/IPv6"),
        (socket.AF_INET, socket.SOCK_DGRAM, "UDP/IPv4"),
        (socket.AF_UNIX, socket.SOCK_STREAM, "Unix"),
    )
    for family, kind, name in kinds:
        try:
            made = socket.socket(family, kind)
        except OSError as error:
            if error.errno in _DENIED:
                continue
            raise SandboxError(f"unexpected error making a {name} socket: {error}") from error
        made.close()
        raise SandboxError(f"this process can still make a {name} socket")


def deny_network() -> list[str]:
    """Take the network away from this process for good; the layers installed (``["netns", "seccomp"]``).

    Call it before any untrusted text is evaluated, ideally while the process is single-threaded.
    Raises :class:`SandboxError` (naming what failed) when the sandbox does not hold afterwards.
    """
    namespace = _net_namespace()
    filtered = _seccomp()
    try:
        verify()
    except SandboxError as error:
        raise SandboxError(f"{error} (network namespace: {namespace}; seccomp: {filtered})") from error
    return [layer for layer in (namespace, filtered) if layer in ("netns", "seccomp")]


# Running a function in a sandboxed process ---------------------------------------------------------------
def _child_env() -> dict[str, str]:
    # The package's own folder first on the path, so the child imports this very pfocr_ld.
    package_root = str(Path(__file__).resolve().parent.parent)
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
    }


def _child_entry() -> None:
    """``python -c`` entry point of :func:`run_in_sandbox`'s process: ``FD MODULE:FUNCTION``."""
    conn = Connection(int(sys.argv[1]))
    try:
        layers = deny_network()
    except SandboxError as error:
        conn.send(("sandbox-failed", str(error)))
        return
    module, _, name = sys.argv[2].partition(":")
    function = getattr(importlib.import_module(module), name)
    try:
        payload = conn.recv()
    except (EOFError, OSError):
        return
    conn.send(("sandboxed", layers))
    function(conn, payload)


def run_in_sandbox(target: str, payload: Any, on_message: Callable[[Any], None]) -> None:
    """Call ``target`` (``"module:function"``) as ``function(conn, payload)`` in a new, sandboxed process.

    Each object the function sends on ``conn`` is passed to ``on_message`` as it arrives, until the
    function returns. Raises :class:`SandboxError` when the sandbox cannot be installed (nothing of
    ``target`` has run then) and ``RuntimeError`` when the process dies.
    """
    parent, child = socket.socketpair()
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from pfocr_ld.sandbox import _child_entry; _child_entry()",
                str(child.fileno()),
                target,
            ],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            env=_child_env(),
        )
    finally:
        child.close()
    conn = Connection(parent.detach())
    try:
        conn.send(payload)
        first = True
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if first:
                first = False
                if isinstance(message, tuple) and message and message[0] == "sandbox-failed":
                    raise SandboxError(message[1])
                continue  # ("sandboxed", layers)
            on_message(message)
    finally:
        conn.close()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"the sandboxed process stopped with exit code {process.returncode}")


def _probe_entry() -> None:
    try:
        layers = deny_network()
    except SandboxError as error:
        print(error)
        sys.exit(1)
    print(" + ".join(layers))


def probe(timeout: float = 60.0) -> str:
    """Install the sandbox in a throw-away process: its layers (``"netns + seccomp"``), or SandboxError."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from pfocr_ld.sandbox import _probe_entry; _probe_entry()"],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_child_env(),
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxError(f"the sandbox check could not run: {error}") from error
    answer = done.stdout.strip().splitlines()[-1:] or [done.stderr.strip()[-300:]]
    if done.returncode != 0:
        raise SandboxError(answer[0])
    return answer[0]


__all__ = ["SandboxError", "deny_network", "probe", "run_in_sandbox", "verify"]
