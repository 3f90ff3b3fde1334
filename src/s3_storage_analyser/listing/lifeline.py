"""Worker processes end with the process that started them, however it ends.

The guarantee is a pipe: the parent holds its write end and never writes; each
worker watches the read end on a thread and exits at end-of-file. The kernel
closes every descriptor of a process that dies, whatever killed it (SIGKILL
included), so end-of-file arrives at once, on any POSIX system, with no help
from the dying parent; it is also level-triggered, so a worker that starts
after its parent died sees it too. A spawned worker inherits no other
descriptor (spawn passes only the ones it names), so nothing else holds the
write end open.

On Linux, ``PR_SET_PDEATHSIG`` adds a second, independent path (a kernel-sent
SIGKILL, which needs no thread of the worker to run and no pipe end to close),
but only for workers spawned from the main thread: it fires when the spawning
*thread* ends, and a worker spawned from a scanner thread would be killed with
its parent still alive.

Ctrl-C goes to the whole foreground process group; the parent handles it and
stops the workers, so workers ignore SIGINT. SIGINT is blocked while they are
spawned (the child inherits the mask), so one that arrives while a worker is
still importing cannot kill it with a traceback: the same fix as
multiprocessing's own resource tracker (bpo-33613).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

PR_SET_PDEATHSIG = 1  # linux/prctl.h
ORPHANED = 70  # a worker's exit status when its parent is gone (EX_SOFTWARE: nothing left to report to)
_SIGINT = {signal.SIGINT}


@dataclass(frozen=True)
class Tether:
    """What a worker needs to notice its parent's end: picklable, handed over at spawn."""

    watch: Connection
    parent: int
    pdeathsig: bool


class Lifeline:
    """The parent's side: while it is open (and this process lives) its workers run."""

    def __init__(self, context: BaseContext) -> None:
        self._watch, self._hold = context.Pipe(duplex=False)

    def tether(self) -> Tether:
        """The worker's side, to pass in a worker's arguments."""
        main = threading.current_thread() is threading.main_thread()
        return Tether(self._watch, os.getpid(), pdeathsig=main and sys.platform == "linux")

    def start(self, processes: Iterable[BaseProcess]) -> None:
        """Start ``processes`` with SIGINT blocked in this thread, so they are born deaf to Ctrl-C."""
        if os.name == "posix":  # spawning (re)starts the tracker, which unblocks SIGINT: start it first
            from multiprocessing import resource_tracker

            resource_tracker.ensure_running()
        masked = hasattr(signal, "pthread_sigmask")
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGINT) if masked else set()
        try:
            for process in processes:
                process.start()
        finally:
            if masked:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        self._watch.close()  # the workers have their copies; ours would only leak

    def cut(self) -> None:
        """End the workers now (they exit at end-of-file); safe to call twice."""
        self._hold.close()


def hold(tether: Tether) -> None:
    """In a worker, first thing: ignore Ctrl-C, and exit as soon as the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGINT)  # blocked at birth; ignored from here on
    if tether.pdeathsig:
        _kill_me_with_parent()
    if os.getppid() != tether.parent:  # it died before prctl took effect: no signal will come
        os._exit(ORPHANED)
    threading.Thread(target=_watch, args=(tether.watch,), name="lifeline", daemon=True).start()


def _watch(watch: Connection) -> None:
    """Block until the parent's end closes (the parent never writes), then exit at once."""
    with contextlib.suppress(EOFError, OSError):
        watch.recv_bytes()
    os._exit(ORPHANED)


def _kill_me_with_parent() -> None:
    """Linux only: ask the kernel for SIGKILL when the spawning thread ends (best effort)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the pipe is the guarantee; this is a second path
