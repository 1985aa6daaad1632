"""Hostile and careless inboxes for ``python -m lib.cli ingest-dir`` (and the store URL of ``ingest``): no
file stops the run, no link is followed, nothing the intake did not parse is quoted, no password is shown,
and a folder the run cannot file into, or a mistyped ``--db``, changes nothing. Every file is built here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import cli
from lib.status import intake
from lib.status.store import StatusStore, mask_url
from tests.hostile import status_csv
from tests.test_intake import _drop, _filed, _left, _report, codes, resolver  # noqa: F401 (fixtures)

pytestmark = pytest.mark.dataset  # reads the bundled geodata/
ROOT = Path(__file__).resolve().parent.parent
SECRET = "hunter2-s3cret"
# A long name as a Mac writes it: 170 characters, decomposed (NFD) to 211 code points and 254 bytes, so
# that the time prefix of the filed name alone would push it past the 255 bytes a name may have.
LONG_NAME = unicodedata.normalize(
    "NFD",
    "Bao cao 2025-11-21 - Báo cáo tổng hợp tình hình thực hiện nhiệm vụ chuyển đổi số và trung tâm phục vụ "
    "hành chính công của các xã phường đặc khu thuộc tỉnh Quảng Trị t.csv",
)


def _ingest_dir(inbox: Path, url: str, capsys) -> tuple[int, str]:
    """One run of the command in this process: (exit code, stdout + stderr)."""
    code = cli.main(["ingest-dir", str(inbox), "--db", url, "--settle", "0"])
    out = capsys.readouterr()
    return code, out.out + out.err


def _cli(*args: str, cwd: Path, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``python -m lib.cli ARGS`` in its own process, run from ``cwd`` (relative paths land there)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "lib.cli", *args], cwd=cwd, env=env, capture_output=True, timeout=600
    )


def _written(folder: Path) -> bytes:
    """Every name under ``folder`` and every report the intake wrote there (the filed files themselves are
    the senders' own), linked folders not entered."""
    out = b""
    for where, folders, files in os.walk(os.fsencode(folder)):  # os.walk does not enter linked folders
        out += b"\n".join(sorted(folders + files)) + b"\n"
        for name in files:
            if name.endswith((intake.REPORT_SUFFIX.encode(), intake.ISSUES_SUFFIX.encode())):
                out += Path(os.fsdecode(os.path.join(where, name))).read_bytes()
    return out


def test_names_with_invalid_utf8_are_filed_under_safe_names(tmp_path, codes, capsys):  # noqa: F811
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox, "a-tot.csv", _report(codes[:4], 18))
    raw_inbox = os.fsencode(inbox)
    named = {
        b"b-\xff\xfe-hop-le.csv": _report(codes[4:9], 19).encode(),  # a good report under a name that is not UTF-8
        b"c-\xc3(-hong.csv": "Cột A,Cột B\n1,2\n".encode(),  # not a report either
    }
    for name, data in named.items():
        handle = os.open(os.path.join(raw_inbox, name), os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(handle, data)
        os.close(handle)
        os.utime(os.path.join(raw_inbox, name), (1e9, 1e9))
    url = f"sqlite:///{tmp_path / 'status.sqlite'}"
    code, out = _ingest_dir(inbox, url, capsys)
    assert code == 1, out  # one file failed: cron is told
    assert "b-\\xff\\xfe-hop-le.csv: đã nhập" in out and "c-\\xc3(-hong.csv: lỗi, không nhập" in out
    assert StatusStore(url).count_reports() == 4 + 5
    assert sorted(os.listdir(raw_inbox)) == [b"done", b"failed"]
    for folder in (b"done", b"failed"):
        for name in os.listdir(os.path.join(raw_inbox, folder)):
            name.decode("utf-8")  # every filed name is UTF-8
    (report,) = [p for p in (inbox / "done").iterdir() if "hop-le" in p.name and p.name.endswith(".bao-cao.txt")]
    assert "Tên tệp gốc: b-\\xff\\xfe-hop-le.csv" in report.read_text(encoding="utf-8")
    assert _filed(inbox, "failed") == ["c-_(-hong.csv"]


def test_a_long_mac_name_is_filed_under_a_shorter_name(tmp_path, codes, capsys):  # noqa: F811
    assert len(unicodedata.normalize("NFC", LONG_NAME)) == 170 and len(os.fsencode(LONG_NAME)) == 254
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox, LONG_NAME, _report(codes[:6], 18))
    _drop(inbox, "z-sau.csv", _report(codes[6:9], 18))  # a later file of the same run
    url = f"sqlite:///{tmp_path / 'status.sqlite'}"
    code, out = _ingest_dir(inbox, url, capsys)
    assert code == 0, out
    assert StatusStore(url).count_reports() == 6 + 3 and _left(inbox) == []
    done = sorted(p.name for p in (inbox / "done").iterdir())
    assert all(len(os.fsencode(name)) <= 255 for name in done)
    (filed,) = [name for name in done if name.endswith(".csv") and "Bao cao" in name]
    assert len(os.fsencode(filed)) <= intake.FILED_NAME_BYTES and unicodedata.is_normalized("NFC", filed)
    report = (inbox / "done" / (filed + intake.REPORT_SUFFIX)).read_text(encoding="utf-8")
    assert f"Tên tệp gốc: {unicodedata.normalize('NFC', LONG_NAME)} (254 byte)" in report
    assert _ingest_dir(inbox, url, capsys)[0] == 0 and StatusStore(url).count_reports() == 9  # next run: nothing


def test_links_are_never_followed_nor_quoted(tmp_path, codes, capsys):  # noqa: F811
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    elsewhere = status_csv(outside / "bao-cao-ngoai.csv", [[code, 10, 5, 0, "hoạt động", ""] for code in codes[:3]])
    secrets = outside / "secrets.toml"
    secrets.write_text(
        f'import_password = "{SECRET}"\n[connections.status]\nurl = "postgresql://app:{SECRET}@db/vnmap"\n',
        encoding="utf-8",
    )
    passwd = outside / "passwd"
    passwd.write_text(
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
        f"svc:x:1000:1000:{SECRET}:/home/svc:/bin/sh\n",
        encoding="utf-8",
    )
    (inbox / "a-lien-ket.csv").symlink_to(elsewhere)
    (inbox / "b-secrets.toml").symlink_to(secrets)
    (inbox / "c-passwd.csv").symlink_to(passwd)
    (inbox / "d-thu-muc").symlink_to(outside)
    _drop(inbox, "e-cau-hinh.toml", secrets.read_bytes())  # a secrets-like file dropped as it is: read, not quoted
    _drop(inbox, "f-passwd.csv", passwd.read_bytes())
    os.mkfifo(inbox / "g-fifo.csv")  # special files and folders are left alone (a FIFO must not hang the run)
    (inbox / "h-thu-muc").mkdir()
    _drop(inbox, "z-sau.csv", _report(codes[3:8], 18))
    url = f"sqlite:///{tmp_path / 'status.sqlite'}"
    code, out = _ingest_dir(inbox, url, capsys)
    assert code == 1, out  # links are for the operator to look at
    for link in ("a-lien-ket.csv", "b-secrets.toml", "c-passwd.csv", "d-thu-muc"):
        assert f"{link}: là liên kết tượng trưng — không đọc, để nguyên" in out and (inbox / link).is_symlink()
    assert "e-cau-hinh.toml: lỗi, không nhập" in out and "z-sau.csv: đã nhập" in out
    store = StatusStore(url)
    assert store.batches()["source_name"].tolist() == ["z-sau.csv"] and store.count_reports() == 5
    assert (inbox / "g-fifo.csv").is_fifo() and (inbox / "h-thu-muc").is_dir()
    assert elsewhere.exists() and secrets.exists() and passwd.exists()
    written = _written(inbox)
    for text in (SECRET, "import_password", "root:x"):
        assert text not in out and text.encode() not in written
    failed = {p.name.split("-", 2)[2]: p for p in (inbox / "failed").iterdir() if p.name.endswith(".bao-cao.txt")}
    for name in ("e-cau-hinh.toml", "f-passwd.csv"):  # what kind of problem, where, counts: never the header
        assert "chưa xác định cột" in failed[f"{name}.bao-cao.txt"].read_text(encoding="utf-8")


def test_ingest_never_shows_the_password_of_db(tmp_path):
    sheet = status_csv(tmp_path / "bc.csv", [["00004", 10, 5, 0, "hoạt động", ""]])
    work = tmp_path / "cwd"
    work.mkdir()
    for given in (
        "postgresql+psycopg://u:{s}@127.0.0.1:1/x",  # unreachable
        "postgresql+psycopg://u:{s}@127.0.0.1:1/x?sslpassword={s}",  # a password in the query too
        "postgres ql://u:{s}@127.0.0.1:1/x",  # not a URL
        "postgresql+psycopg://u:{s}@127.0.0.1:abc/x",  # a port that is not a number
        "u:{s}@127.0.0.1/x",  # the scheme forgotten: not taken for a file path either
    ):
        done = _cli("ingest", str(sheet), "--db", given.format(s=SECRET), cwd=work)
        assert done.returncode == 2, (given, done.stderr.decode())
        assert SECRET.encode() not in done.stdout + done.stderr and b"Traceback" not in done.stderr, given
        assert list(work.iterdir()) == [] and SECRET.encode() not in _written(tmp_path), given


def test_reports_and_summary_mask_the_password(tmp_path, codes, pg_url, capsys):  # noqa: F811
    """End to end on PostgreSQL: the URL with a password (and one in the query) is never written in clear."""
    from tests.conftest import emptied_pg

    url = sa.engine.make_url(emptied_pg(pg_url)).set(password=SECRET).update_query_dict({"sslpassword": SECRET})
    url = url.render_as_string(hide_password=False)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox, "a.csv", _report(codes[:3], 18))
    _drop(inbox, "hong.csv", "Cột A\n1\n")
    done = _cli("ingest-dir", str(inbox), "--db", url, "--settle", "0", cwd=tmp_path)
    assert done.returncode == 1, done.stderr.decode()
    assert SECRET.encode() not in done.stdout + done.stderr + _written(inbox)
    reports = [p.read_text(encoding="utf-8") for p in inbox.rglob("*.bao-cao.txt")]
    assert len(reports) == 2 and all(f"Kho dữ liệu: StatusStore('{mask_url(url)}')" in text for text in reports)
    emptied_pg(pg_url)


def test_mask_url_in_reports_of_a_sqlite_run(tmp_path, codes, capsys):  # noqa: F811
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox, "a.csv", _report(codes[:3], 18))
    url = f"sqlite:///{tmp_path / 'status.sqlite'}"
    assert _ingest_dir(inbox, url, capsys)[0] == 0
    (report,) = (inbox / "done").glob("*.bao-cao.txt")
    assert f"Kho dữ liệu: StatusStore('{url}')" in report.read_text(encoding="utf-8")
    masked = mask_url(f"postgresql+psycopg://u:{SECRET}@db:5432/x?sslpassword={SECRET}&application_name=vnmap")
    assert SECRET not in masked and masked.startswith("postgresql+psycopg://u:***@db:5432/x?")


def _readonly_runner(inbox: Path) -> tuple[str, ...] | None:
    """A command prefix that runs the CLI with ``inbox`` on a read-only bind mount, in a mount namespace of
    its own (nothing is left mounted); None when this machine does not allow it (not root, no unshare)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return None
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    prefix = ("unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(inbox))
    probe = subprocess.run([*prefix, "touch", str(inbox / ".probe")], capture_output=True)
    if probe.returncode == 0 or not (probe.stderr and b"Read-only" in probe.stderr):
        (inbox / ".probe").unlink(missing_ok=True)
        return None
    return prefix


@pytest.mark.parametrize("how", ["done-is-a-file", "read-only"])
def test_an_inbox_the_run_cannot_file_into_changes_nothing(tmp_path, codes, how):  # noqa: F811
    """The inbox is checked before anything is stored. The tests run as root, whom permission bits do not
    stop: the conditions are real ones that stop root too — done/ already a regular file (it cannot be
    made a folder), and the inbox on a read-only bind mount (a private mount namespace; without root,
    ``chmod 555`` is the same condition)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox, "a.csv", _report(codes[:4], 18))
    db = tmp_path / "status.sqlite"
    StatusStore(db).close()
    prefix: tuple[str, ...] = ()
    if how == "done-is-a-file":
        (inbox / "done").write_text("not a folder\n", encoding="utf-8")
    elif os.geteuid() != 0:
        inbox.chmod(0o555)
    elif (runner := _readonly_runner(inbox)) is not None:
        prefix = runner
    else:
        pytest.skip("root without a private read-only mount: permission bits would not stop the run")
    try:
        done = _cli("ingest-dir", str(inbox), "--db", f"sqlite:///{db}", "--settle", "0", cwd=tmp_path, prefix=prefix)
    finally:
        inbox.chmod(0o755)
    assert done.returncode == 2, (done.stdout + done.stderr).decode()
    assert "không nhập gì" in done.stderr.decode()
    assert StatusStore(db).is_empty() and (inbox / "a.csv").is_file()
    assert not (inbox / "failed").exists()


@pytest.mark.parametrize("command", ["ingest-dir", "ingest"])
@pytest.mark.parametrize("given", ["sqlite:///{tmp}/typo/dir/x.sqlite", "notaurl"])
def test_a_mistyped_db_makes_no_new_store(tmp_path, codes, command, given):  # noqa: F811
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sheet = _drop(inbox, "a.csv", _report(codes[:4], 18))
    target = [str(inbox), "--settle", "0"] if command == "ingest-dir" else [str(sheet)]
    done = _cli(command, *target, "--db", given.format(tmp=tmp_path), cwd=tmp_path)
    assert done.returncode == 2, (done.stdout + done.stderr).decode()
    assert "không phải địa chỉ cơ sở dữ liệu" in done.stderr.decode() or "Không có thư mục" in done.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox"] and _left(inbox) == ["a.csv"]


def test_ingest_of_a_name_with_invalid_utf8(tmp_path, codes, capsys):  # noqa: F811
    """``ingest FILE`` stores and prints such a name as display_name shows it, instead of a traceback."""
    path = os.path.join(os.fsencode(tmp_path), b"bao-cao-\xff.csv")
    with open(path, "wb") as out:
        out.write(_report(codes[:3], 18).encode())
    url = f"sqlite:///{tmp_path / 'status.sqlite'}"
    assert cli.main(["ingest", os.fsdecode(path), "--db", url]) == 0
    assert "bao-cao-\\xff.csv" in capsys.readouterr().out
    assert StatusStore(url).batches()["source_name"].tolist() == ["bao-cao-\\xff.csv"]


def test_a_file_that_cannot_be_moved_is_imported_once(tmp_path, resolver, codes):  # noqa: F811
    """An immutable file (``chattr +i``: not even root may rename it) is stored, reported, left in place and
    never imported again; the run goes on and tells the operator (exit code 1)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    stuck = _drop(inbox, "a-khoa.csv", _report(codes[:4], 18))
    _drop(inbox, "z-sau.csv", _report(codes[4:6], 18))
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(stuck)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available on this file system")
    store = StatusStore(tmp_path / "status.sqlite")
    try:
        first = intake.ingest_dir(inbox, store, resolver, settle=0)
        later = intake.ingest_dir(inbox, store, resolver, settle=0, stale_claim=0)  # as a run 5 minutes later
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=True)
    (a, z) = first.outcomes
    assert (a.state, z.state) == ("imported", "imported") and first.failed and store.count_reports() == 6
    assert "không chuyển được vào done/" in a.problem and "không nhập lại" in a.problem
    assert "Tệp không được chuyển" in a.report.read_text(encoding="utf-8") and f"lô {a.batch}" in first.render()
    (again,) = later.outcomes
    assert again.state == "duplicate" and again.batch == a.batch and again.problem and later.failed
    assert store.count_reports() == 6 and len(store.batches()) == 2 and _left(inbox) == ["a-khoa.csv"]
