"""Sign-in for importing: the import password, where it is read from, and the guard against guessing it."""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time

from lib.core.settings import settings

SECRET_PASSWORD = "import_password"


def import_password(secrets: object = None) -> str | None:
    """The import credential: ``$VNMAP_IMPORT_PASSWORD``, else ``secrets["import_password"]``; None = importing off.

    ``secrets`` is a mapping such as ``st.secrets`` (a missing secrets file counts as unset).
    """
    value = settings().import_password
    if value:
        return value
    if secrets is None:
        return None
    try:
        value = secrets.get(SECRET_PASSWORD)  # type: ignore[attr-defined]
    except (FileNotFoundError, KeyError):
        return None
    return str(value) if value else None


def password_ok(given: str | None, expected: str | None) -> bool:
    """True when a credential is set and ``given`` equals it (constant-time comparison)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


LOCKOUT_FREE = 3  # failures allowed without waiting
LOCKOUT_AFTER = 10  # failures (within LOCKOUT_SECONDS) that lock the import out
LOCKOUT_SECONDS = 15 * 60
_log = logging.getLogger("vnmap.import")


class PasswordGuard:
    """Slows down, then locks out, repeated wrong import passwords, per key (a session, a client address).

    After :data:`LOCKOUT_FREE` failures each further attempt must wait 2, 4, 8 … seconds (at most 60);
    after :data:`LOCKOUT_AFTER` failures the key is locked for :data:`LOCKOUT_SECONDS`. Failures are
    logged (never the password). One guard is shared by all sessions (``lib.ui.cache.password_guard``);
    ``clock`` is injectable for tests.
    """

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def wait(self, keys: list[str]) -> float:
        """Seconds before ``keys`` may try again (0: now)."""
        now = self._clock()
        with self._lock:
            return max((self._wait(key, now) for key in keys), default=0.0)

    def _wait(self, key: str, now: float) -> float:
        times = [t for t in self._failures.get(key, []) if now - t < LOCKOUT_SECONDS]
        self._failures[key] = times
        if len(times) >= LOCKOUT_AFTER:
            return times[-LOCKOUT_AFTER] + LOCKOUT_SECONDS - now
        if len(times) < LOCKOUT_FREE:
            return 0.0
        return max(0.0, times[-1] + min(60.0, 2.0 ** (len(times) - LOCKOUT_FREE + 1)) - now)

    def check(self, given: str | None, expected: str | None, keys: list[str]) -> tuple[bool, str]:
        """(accepted, Vietnamese message): refuses without comparing while ``keys`` must wait."""
        if not given:
            return False, ""
        waiting = self.wait(keys)
        if waiting > 0:
            locked = self.failures(keys) >= LOCKOUT_AFTER
            what = "Đã khoá nhập dữ liệu do nhập sai mật khẩu nhiều lần" if locked else "Nhập sai nhiều lần"
            return False, f"{what}: hãy thử lại sau {math.ceil(waiting)} giây."
        if password_ok(given, expected):
            with self._lock:
                for key in keys:
                    self._failures.pop(key, None)
            return True, ""
        with self._lock:
            now = self._clock()
            for key in keys:
                self._failures.setdefault(key, []).append(now)
        count = self.failures(keys)
        _log.warning(
            "import password refused (%s): %d failure(s) in %d min", ", ".join(keys), count, LOCKOUT_SECONDS // 60
        )
        return False, "Sai mật khẩu." + (" Các lần thử tiếp theo sẽ phải chờ." if count >= LOCKOUT_FREE else "")

    def failures(self, keys: list[str]) -> int:
        """Recent failures of the worst of ``keys``."""
        with self._lock:
            return max((len(self._failures.get(key, [])) for key in keys), default=0)
