"""The one way to write an output file: whole or not at all, readable by others (mode 0644); file names for people."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o644  # owner writes, everyone reads: exports are handed on, not secrets


def write_atomic(path: Path | str, data: bytes | Callable[[BinaryIO], object], *, mode: int = FILE_MODE) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it into place.

    ``data`` is the file's bytes, or a function that writes them to the binary stream it is
    given (e.g. ``lambda stream: fig.savefig(stream, format="png")``). The file gets ``mode``
    (0644 by default, where ``tempfile.mkstemp`` alone would give 0600); on any error the
    temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            if isinstance(data, (bytes, bytearray, memoryview)):
                stream.write(data)
            else:
                data(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def display_name(name: str | bytes | os.PathLike) -> str:
    """A file name (or path) as it may be printed or written to a UTF-8 text: bytes that are not UTF-8
    shown as ``\\xNN``, then NFC, and control or invisible formatting characters (a newline, a
    right-to-left override) shown as ``\\n``, ``\\u202e``; never raises."""
    raw = os.fsencode(name)
    text = unicodedata.normalize("NFC", raw.decode("utf-8", "backslashreplace"))
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
