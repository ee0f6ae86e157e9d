"""`assetsvc backup` and `assetsvc restore`: the SQLite database through SQLite's online backup
API (while the service runs), with the credential key as a separate file.

A backup folder holds `assetsvc.sqlite` (a consistent snapshot: SQLite's backup API copies it
under one read transaction, and in WAL mode writers go on meanwhile), `secret.key` (the key that
opens the device passwords and webhook secrets inside) and `backup.json` (what and when). The
key belongs apart from the database copy (docs/operations.md): whoever holds both holds every
device password. PostgreSQL is backed up with pg_dump and pg_restore; these commands say so.

A restore checks everything before it writes anything: the copy is a sound SQLite file, the key
opens the backup's stored key check (registry/keycheck.py), the target has no database yet and no
service holds its lock, and configured keys, if any, include the backup's.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from assetsvc.registry import keycheck
from assetsvc.runtime import shown_url
from assetsvc.secrets import KeyError_, load_keys, read_key_file, write_keys
from assetsvc.settings import Settings

DATABASE = "assetsvc.sqlite"
KEY = "secret.key"
MANIFEST = "backup.json"


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    database_bytes: int
    key_file: Path | None


def postgres_advice(settings: Settings) -> str:
    """What to run instead on PostgreSQL (the URL's password masked)."""
    url = shown_url(settings.database_url)
    return (f"the database is PostgreSQL ({url}): back it up with `pg_dump --format=custom --file=assetsvc.dump "
            f"'{url}'` and restore it with `pg_restore --clean --if-exists --no-owner --dbname='{url}' "
            f"assetsvc.dump` (docs/operations.md); keep the key file {settings.secret_key_file} (or "
            "ASSETSVC_SECRET_KEY) apart from the dump: the dump's secrets need it")


def _copy(source: Path, target: Path, *, live: bool) -> None:
    """SQLite's online backup API, all pages in one step: one read transaction, so the copy is one
    consistent instant. (Stepping through pages would restart whenever a writer changes the
    source meanwhile, and might never finish on a busy service.)"""
    # A live WAL database is opened as the service opens it (a read-only open needs its -shm).
    src = sqlite3.connect(source, timeout=30) if live else sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no -wal beside it
        problem = [r[0] for r in dst.execute("PRAGMA quick_check")]
    finally:
        dst.close()
        src.close()
    if problem != ["ok"]:
        raise BackupError(f"the copy {target} failed SQLite's quick check: {'; '.join(problem[:3])}")


def backup(settings: Settings, dest: Path) -> BackupReport:
    """Copy the running SQLite database and the key into the new or empty folder `dest`."""
    if not settings.is_sqlite:
        raise BackupError(postgres_advice(settings))
    source = settings.sqlite_path
    if not source.is_file():
        raise BackupError(f"no database at {source} (ASSETSVC_DATA_DIR / ASSETSVC_DATABASE_URL): nothing to back up")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder: give a new folder per backup")
    keys = load_keys(settings)  # all of them: mid-rotation the copy holds secrets sealed with each
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    part = dest / f"{DATABASE}.part"
    _copy(source, part, live=True)
    os.chmod(part, 0o600)
    part.rename(dest / DATABASE)
    key_file = None
    if keys:
        key_file = dest / KEY
        write_keys(key_file, keys)
    manifest = {"engine": "sqlite", "database": DATABASE, "key_file": KEY if key_file else None,
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "source": str(source)}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return BackupReport(dest, (dest / DATABASE).stat().st_size, key_file)


def _service_running(database: Path) -> bool:
    """Whether a process holds the data folder's scheduler lock file (app/leader.py)."""
    lock = Path(f"{database}.leader")
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the lock if we took it
    return False


def restore(settings: Settings, src: Path, key_path: Path | None = None) -> Path:
    """Put a backup folder's database (and key) in place of a missing database; everything is
    checked first, so a refused restore writes nothing. Returns the restored database path."""
    if not settings.is_sqlite:
        raise BackupError(postgres_advice(settings))
    copy = src / DATABASE
    if not copy.is_file():
        raise BackupError(f"{src} holds no {DATABASE}: give the folder `assetsvc backup` wrote")
    key_path = key_path or src / KEY
    keys = read_key_file(key_path) if key_path.exists() else []
    if not keys and key_path != src / KEY:
        raise KeyError_(f"the key file {key_path} does not exist")
    try:
        sealed = keycheck.check_backup(copy, keys, str(key_path))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{copy} is not a readable SQLite database ({exc}); nothing was restored") from None
    target = settings.sqlite_path
    if target.exists() and target.stat().st_size > 0:
        raise BackupError(f"a database already exists at {target}: restore into a fresh data folder "
                          "(ASSETSVC_DATA_DIR), or move that database away first; nothing was restored")
    if _service_running(target):
        raise BackupError(f"a service is running on {target.parent} (it holds {target}.leader); stop it first")
    configured = load_keys(settings)
    if sealed and configured and not set(keys) <= set(configured):
        where = "ASSETSVC_SECRET_KEY" if settings.secret_key else str(settings.secret_key_file)
        raise KeyError_(f"{where} lacks a key of this backup's; unset it or move it away, then restore "
                        "(the backup's keys are installed as the key file), or add the backup's keys after "
                        "its own; nothing was restored")
    target.parent.mkdir(parents=True, exist_ok=True)
    # The key file first: if it cannot be written, the database is not touched (restored data
    # without its key would hold secrets nothing opens); if the copy then fails, it goes again.
    installed = None
    if keys and not configured:
        settings.secret_key_file.parent.mkdir(parents=True, exist_ok=True)
        write_keys(settings.secret_key_file, keys)
        installed = settings.secret_key_file
    try:
        _put_database(copy, target)
    except BaseException:
        if installed:
            installed.unlink(missing_ok=True)
        raise
    return target


def _put_database(copy: Path, target: Path) -> None:
    """Copy the backup's database into place: a whole file renamed over the (empty) target."""
    part = target.with_name(target.name + ".restoring")
    part.unlink(missing_ok=True)
    _copy(copy, part, live=False)
    os.chmod(part, 0o600)
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    part.replace(target)
