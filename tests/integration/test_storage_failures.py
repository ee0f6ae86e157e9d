"""Broken storage said plainly: a read-only data folder, a damaged file, a full disk."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from assetsvc import storage
from assetsvc.api import errors as api_errors
from tests.conftest import ENGINE


def _cli(tmp_path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSETSVC_DATA_DIR": str(tmp_path / "var"),
           "ASSETSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'assetsvc.sqlite'}", **(env or {})}
    env.pop("ASSETSVC_SECRET_KEY", None)
    return subprocess.run([sys.executable, "-m", "assetsvc.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def _read_only_mount_works() -> bool:
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o ro,size=1m tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _read_only_mount_works(), reason="needs root and mount namespaces (unshare -m)")
def test_a_read_only_data_folder_is_one_line_not_a_traceback(tmp_path):
    """The data folder on a read-only file system (a tmpfs mounted ro in a private mount namespace)."""
    folder = tmp_path / "var"
    folder.mkdir()
    env = {**os.environ, "ASSETSVC_DATA_DIR": str(folder),
           "ASSETSVC_DATABASE_URL": f"sqlite:///{folder / 'assetsvc.sqlite'}"}
    env.pop("ASSETSVC_SECRET_KEY", None)
    script = f"mount -t tmpfs -o ro,size=1m tmpfs {folder} && exec {sys.executable} -m assetsvc.cli migrate"
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "cannot be written (read-only file system or no permission)" in result.stderr


def test_a_data_folder_that_cannot_be_made_is_one_line_not_a_traceback(tmp_path):
    (tmp_path / "var").write_text("a file where the folder should be")
    result = _cli(tmp_path, "migrate", env={"ASSETSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'x' / 'a.sqlite'}"})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("Error: ")


def test_a_damaged_database_file_stops_start_up_with_a_message(tmp_path):
    assert _cli(tmp_path, "migrate").returncode == 0
    path = tmp_path / "var" / "assetsvc.sqlite"
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the first page's b-tree: the schema is unreadable
    path.write_bytes(bytes(data))
    result = _cli(tmp_path, "serve", "--port", "1")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "damaged" in result.stderr and "restore it from a backup" in result.stderr


@pytest.mark.parametrize("exc,kind,status", [
    (sqlite3.OperationalError("database or disk is full"), "full", 507),
    (OSError(28, "No space left on device"), "full", 507),
    (sqlite3.OperationalError("attempt to write a readonly database"), "read-only", 503),
    (sqlite3.DatabaseError("database disk image is malformed"), "damaged", 503),
])
def test_a_storage_failure_becomes_a_plain_answer(exc, kind, status):
    failure = storage.classify(exc)
    assert failure is not None and failure.kind == kind
    response = api_errors.storage_error(_Request(), exc)
    assert response.status_code == status
    assert response.content["detail"] == str(failure)
    assert ("nothing was written" in str(failure)) == (kind != "damaged")


def test_other_driver_errors_stay_internal_errors():
    assert storage.classify(sqlite3.OperationalError("no such column: x")) is None
    assert api_errors.storage_error(_Request(), sqlite3.OperationalError("no such column: x")).status_code == 500


class _Request:
    method = "GET"

    class url:  # noqa: N801 - the attribute shape litestar's Request has
        path = "/api/v1/x"


@pytest.mark.skipif(ENGINE != "sqlite", reason="the file is SQLite's")
async def test_healthz_says_when_the_database_cannot_be_read(client, monkeypatch):
    assert (await client.get("/healthz")).json() == {"status": "ok"}

    async def damaged() -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr("assetsvc.db.check_readable", damaged)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error" and "damaged" in response.json()["database"]
