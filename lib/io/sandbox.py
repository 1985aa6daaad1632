"""Untrusted files are read in a worker process with hard limits, never in the server's threads.

:func:`run_bounded` runs one function on a file's bytes in a child process forked from a small
server process (multiprocessing's ``forkserver``, which has imported the readers once, so a read
starts in milliseconds). The child sets an address-space limit (``RLIMIT_AS``) and a CPU-time
limit (``RLIMIT_CPU``) on itself; the caller waits with a wall-clock deadline and kills the child
when it is reached. The result comes back as plain pickled data; an error raised in the child
(a :class:`lib.io.sheets.SheetError` with its Vietnamese message) is raised again in the caller.

Whatever a file does to its reader (a regex that backtracks, a recursive SQL view inside a
GeoPackage, a cell of 90 million characters), it costs one child process its limits and no more:
the caller only waits on a pipe (no GIL held), so the server's other sessions go on.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from multiprocessing import spawn
from typing import Any

from lib.io.sheets import LimitError, ReadLimits, format_mb, limit_message

log = logging.getLogger("vnmap.sandbox")

# Imported once by the fork server, so that each child starts with the readers loaded.
PRELOAD = ["lib.io.worker_env", "lib.io.sheets", "lib.io.layers", "lib.lookup.convert", "lib.status.importer"]
WORKER_NAME = "vnmap-reader"
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)
_in_worker = False
_preparation_data = spawn.get_preparation_data


def _reader_preparation_data(name: str) -> dict:
    """multiprocessing's start-up data for a child, without the main module for a reader worker.

    A child normally runs the parent's main script again (as ``__mp_main__``); the main here is
    Streamlit's launcher, the command line or a test's script, none of which a reader needs, and an
    unguarded script would start its work again in every reader. multiprocessing has no option to
    skip it, so the data of our own workers (by their name) leaves the main module out.
    """
    data = _preparation_data(name)
    if name == WORKER_NAME:
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


spawn.get_preparation_data = _reader_preparation_data


class WorkerError(LimitError):
    """The worker reading a file went over a limit (memory, CPU time, wall time) or died; the message names it."""


def _vm_bytes() -> int:
    """This process's address-space size (VmSize), bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(conn, func: Callable, args: tuple, kwargs: dict, memory: int, cpu: int) -> None:
    global _in_worker
    _in_worker = True
    # Memory: what the child holds after the fork, plus the budget; CPU: the child's own seconds.
    limit = _vm_bytes() + memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        result = ("ok", func(*args, **kwargs))
    except MemoryError:
        result = ("memory", None)
    except Exception as err:  # the reader's own errors (SheetError, LayerError …) travel back as they are
        result = ("error", err)
    try:
        conn.send(result)  # pickled whole before anything is written: a failure sends nothing
    except MemoryError:
        conn.send(("memory", None))
    except Exception as err:  # a value that does not pickle: its text is enough
        value = result[1] if result[0] == "error" else err
        conn.send(("failed", f"{type(value).__name__}: {value}"))
    conn.close()


WORKER_ADVICE = (
    "Tệp có thể hỏng hoặc chứa nội dung bất thường: hãy mở bằng Excel/LibreOffice (hoặc QGIS với lớp bản đồ), "
    "lưu lại rồi tải lên lại"
)


def _error(name: str, what: str, limit: str, attr: str) -> WorkerError:
    return WorkerError(limit_message(name, what, limit, attr, WORKER_ADVICE))


def memory_error(name: str, limits: ReadLimits) -> WorkerError:
    return _error(name, "đọc tệp cần quá nhiều bộ nhớ", f"{format_mb(limits.worker_memory)} bộ nhớ", "worker_memory")


def cpu_error(name: str, limits: ReadLimits) -> WorkerError:
    return _error(
        name,
        "đọc tệp mất quá nhiều thời gian xử lý",
        f"{limits.worker_cpu_seconds:g} giây CPU",
        "worker_cpu_seconds",
    )


def wall_error(name: str, limits: ReadLimits) -> WorkerError:
    error = _error(name, "đọc tệp quá lâu", f"{limits.max_seconds:g} giây", "max_seconds")
    error.transient = True  # a busy machine may be the cause: not remembered
    return error


class _Failures:
    """The errors of the last files refused, by key (the file's SHA-256 and what was asked of it), kept for a
    while: a page reruns its script on every click, and the same hostile file must not cost a worker each time."""

    def __init__(self, size: int = 64, seconds: float = 600.0) -> None:
        self.size, self.seconds = size, seconds
        self.errors: OrderedDict[Hashable, tuple[float, Exception]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Exception | None:
        with self.lock:
            found = self.errors.get(key)
            if found is None or time.monotonic() - found[0] > self.seconds:
                self.errors.pop(key, None)
                return None
            return found[1]

    def add(self, key: Hashable, error: Exception) -> None:
        with self.lock:
            self.errors[key] = (time.monotonic(), error)
            while len(self.errors) > self.size:
                self.errors.popitem(last=False)


_failures = _Failures()
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _worker_slots(limits: ReadLimits) -> threading.BoundedSemaphore:
    """The process's semaphore of :attr:`ReadLimits.max_workers` readers running at once (one per setting)."""
    size = max(1, int(limits.max_workers))
    with _slots_lock:
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


def file_key(data: bytes, *parts: Hashable) -> tuple:
    """A key of :func:`run_bounded`'s memory of refusals: the file's SHA-256 and what is asked of it."""
    return (hashlib.sha256(data).digest(), *parts)


def run_bounded(
    func: Callable[..., Any],
    *args: Any,
    name: str = "tệp",
    limits: ReadLimits | None = None,
    key: Hashable | None = None,
    **kwargs: Any,
) -> Any:
    """``func(*args, **kwargs)`` in a worker process under ``limits`` (memory, CPU seconds, wall seconds).

    ``func`` must be a module-level function; its arguments and result are pickled. Inside a worker
    it runs directly. Raises :class:`WorkerError` naming the limit that was reached (``name`` is the
    file's name for the message), or the exception ``func`` raised. At most ``limits.max_workers``
    readers run at once in this process; a call waits for a free one (at most ``limits.max_seconds``).
    With ``key`` (see :func:`file_key`), an error is remembered for ten minutes and raised again at once
    for the same key, without a worker.
    """
    if _in_worker:
        return func(*args, **kwargs)
    limits = limits or ReadLimits.from_env()
    if key is not None and (remembered := _failures.get(key)) is not None:
        raise remembered
    slots = _worker_slots(limits)
    if not slots.acquire(timeout=limits.max_seconds):
        raise _error(
            name,
            "máy chủ đang đọc nhiều tệp khác cùng lúc",
            f"{limits.max_workers} tệp đọc cùng lúc, chờ quá {limits.max_seconds:g} giây",
            "max_workers",
        )
    try:
        return _run(func, args, kwargs, name, limits)
    except Exception as err:
        if key is not None and not getattr(err, "transient", False):
            _failures.add(key, err)
        raise
    finally:
        slots.release()


def _run(func: Callable[..., Any], args: tuple, kwargs: dict, name: str, limits: ReadLimits) -> Any:
    cpu = max(1, int(round(limits.worker_cpu_seconds)))
    receive, send = _context.Pipe(duplex=False)
    child = _context.Process(
        target=_child, args=(send, func, args, kwargs, limits.worker_memory, cpu), name=WORKER_NAME, daemon=True
    )
    started = time.monotonic()
    child.start()
    send.close()
    try:
        outcome = _wait(receive, child, started + limits.max_seconds)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
    kind, value = outcome
    seconds = time.monotonic() - started
    if kind == "ok":
        return value
    if kind == "error":
        raise value
    log.warning("reader worker for %r ended: %s %s after %.1f s", name, kind, value or "", seconds)
    if kind == "memory":
        raise memory_error(name, limits)
    if kind == "cpu":
        raise cpu_error(name, limits)
    if kind == "wall":
        raise wall_error(name, limits)
    raise WorkerError(
        f"{name}: không đọc được tệp (tiến trình đọc tệp dừng bất thường: {value}). Hãy mở tệp bằng Excel/"
        "LibreOffice (hoặc QGIS với lớp bản đồ), lưu lại rồi tải lên lại."
    )


def _wait(receive, child, deadline: float) -> tuple[str, Any]:
    """The child's message, or why none came: ("wall", None) at the deadline, ("cpu"/"memory"/"died", …)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            child.kill()
            return "wall", None
        if receive.poll(min(left, 0.5)):
            try:
                return receive.recv()
            except EOFError:
                break  # the child ended without a word
            except MemoryError:
                return "memory", None
        elif not child.is_alive():
            if receive.poll(0):
                continue
            break
    child.join(timeout=5)
    code = child.exitcode
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return "cpu", None  # RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one
    if code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
        return "memory", None  # native code (GDAL, zlib) that could not allocate within the limit
    return "died", f"mã {code}"


def warm() -> None:
    """Start the fork server (it imports the readers) before the first upload."""
    run_bounded(os.getpid, name="warm-up")
