"""The app serves from a read-only checkout once the prepare step has run.

A copy of the checkout (with its prepared files) is bind-mounted read-only (``mount --bind`` then
``mount -o remount,ro,bind``): a read-only mount refuses writes even to root, which permission
bits would not (the tests run as root). Where mounting is not permitted, the copy is made
read-only with chmod and the check rests on the snapshot below alone. Either way every file's
size, modification time and content hash, and the list of files, are compared before and after:
nothing under the copy may change and no file may appear. Only the status store, in a temporary
folder outside the copy, is writable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, launch_app, stop_app, units_on_map, wait_for_units

pytestmark = pytest.mark.browser

# Not copied: version control, the virtualenv, outputs of earlier runs, and the status store
# (the top-level data/ folder only: lib/data is code).
_IGNORED_ANYWHERE = shutil.ignore_patterns(".git", ".venv", ".pytest_cache", "__pycache__", "*.pyc", ".geodata-build-*")


def IGNORED(folder: str, names: list[str]) -> set[str]:
    ignored = set(_IGNORED_ANYWHERE(folder, names))
    if Path(folder) == ROOT:
        ignored |= {"artifacts", "data"} & set(names)
    return ignored


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Relative path → (size, mtime_ns, sha1) of every file under ``folder`` (directories by their listing)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        stat = path.lstat()
        if path.is_dir():
            out[str(path.relative_to(folder)) + "/"] = (0, stat.st_mtime_ns, "")
        else:
            out[str(path.relative_to(folder))] = (
                stat.st_size,
                stat.st_mtime_ns,
                hashlib.sha1(path.read_bytes()).hexdigest(),
            )
    return out


def _mount_readonly(source: Path, target: Path) -> bool:
    """Bind-mount ``source`` on ``target`` read-only; False if this machine does not allow it."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    if subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True).returncode != 0:
        return False
    if subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], capture_output=True).returncode != 0:
        subprocess.run(["umount", str(target)], capture_output=True)
        return False
    probe = target / ".write-probe"
    try:
        probe.write_text("x")
    except OSError:
        return True
    probe.unlink()
    subprocess.run(["umount", str(target)], capture_output=True)
    return False


@pytest.fixture(scope="module")
def readonly_app(tmp_path_factory):
    """`make run`'s launch (scripts/serve.py) from a prepared, read-only copy of the checkout."""
    base = tmp_path_factory.mktemp("readonly")
    copy, served, writable = base / "copy", base / "served", base / "writable"
    shutil.copytree(ROOT, copy, ignore=IGNORED, symlinks=True)
    prepared = subprocess.run(
        [sys.executable, "-m", "lib.cli", "prepare"],
        cwd=copy,
        capture_output=True,
        text=True,
        env={**os.environ, "VNMAP_CACHE_DIR": str(copy / ".cache" / "layers")},
        timeout=600,
    )
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    served.mkdir()
    writable.mkdir()
    mounted = _mount_readonly(copy, served)
    if not mounted:
        served.rmdir()
        served = copy
        subprocess.run(["chmod", "-R", "a-w", str(copy)], check=True)
    print(f"read-only by {'a read-only bind mount' if mounted else 'chmod -R a-w and the snapshot'}")
    before = snapshot(copy)
    log = base / "server.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("VNMAP_")}
    env.update(VNMAP_STATUS_DB=f"sqlite:///{writable / 'status.sqlite'}", PYTHONDONTWRITEBYTECODE="")
    try:
        server, url = launch_app(served, env=env, log=log)
    except RuntimeError as err:
        pytest.fail(f"from the read-only copy: {err}")
    try:
        yield {"url": url, "copy": copy, "served": served, "log": log, "before": before, "mounted": mounted}
    finally:
        stop_app(server)
        if mounted:
            subprocess.run(["umount", str(served)], check=False)
        after = snapshot(copy)
        subprocess.run(["chmod", "-R", "u+w", str(copy)], check=False)  # let pytest clean its temporary folder
        changed = sorted(set(before) ^ set(after) | {k for k in before.keys() & after.keys() if before[k] != after[k]})
        assert not changed, f"the server wrote into the checkout: {changed[:20]}"


def test_province_with_old_communes_from_a_readonly_checkout(readonly_app, page):
    from lib.data import geodata

    crosswalk = geodata.load_crosswalk()
    old_in_hanoi = crosswalk.loc[crosswalk["new_province_code"] == "01", "old_code"].nunique()
    page.goto(f"{readonly_app['url']}/?province=01&layers=old_communes")
    frame = wait_for_units(page, 126 + old_in_hanoi)
    assert units_on_map(frame) == 126 + old_in_hanoi
    # Both layers came from the prepared static files, not inlined or written on the fly.
    fetched = [u for u in page.requests.urls if "/app/static/geo/" in u]
    assert any("province_communes-01.json" in u for u in fetched), fetched
    assert any("old_communes-01.json" in u for u in fetched), fetched
    assert page.requests.foreign() == []
    log = readonly_app["log"].read_text()
    assert "Traceback" not in log and "Read-only file system" not in log, log[-3000:]
    if readonly_app["mounted"]:  # the guarantee itself: this folder refuses writes, even root's
        with pytest.raises(OSError):
            (readonly_app["served"] / "static" / "probe.json").write_text("{}")
