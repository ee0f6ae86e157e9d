"""Storage failures said plainly: a full disk, a read-only or missing data folder, a damaged file.

Every interface turns these into one sentence (the API answers 507 for a full disk and 503 for
the rest, the CLI and start-up print it) instead of a traceback or a bare 500. What failed was
not written: SQLite and PostgreSQL roll the transaction back.
"""

from __future__ import annotations

import errno
import sqlite3

import asyncpg

# SQLite's messages for the failures a person can fix (sqlite3 gives no error codes before 3.11's
# sqlite_errorcode, and piccolo re-raises the driver's exception as it is).
_SQLITE = (
    ("database or disk is full", "full"),
    ("attempt to write a readonly database", "read-only"),
    ("unable to open database file", "unreadable"),
    ("disk i/o error", "unreadable"),
    ("database disk image is malformed", "damaged"),
    ("file is not a database", "damaged"),
)
_OS = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EROFS: "read-only", errno.EACCES: "read-only",
       errno.EPERM: "read-only", errno.EIO: "unreadable"}
_SENTENCES = {
    "full": "the disk holding the database or data folder is full; nothing was written. Free space "
            "and the service carries on",
    "read-only": "the database or data folder cannot be written (read-only file system or no "
                 "permission); nothing was written. Check ASSETSVC_DATA_DIR and its owner",
    "unreadable": "the database or data folder cannot be opened or read (a missing folder, a file "
                  "where a folder should be, an I/O error); check ASSETSVC_DATA_DIR and ASSETSVC_DATABASE_URL",
    "damaged": "the database file is damaged; restore it from a backup",
}


class StorageFailure(Exception):
    """A storage problem in one sentence; `kind` is full, read-only, unreadable or damaged."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{_SENTENCES[kind]} ({detail})")
        self.kind = kind


def classify(exc: BaseException) -> StorageFailure | None:
    """The storage failure behind a driver or OS exception, or None when it is something else."""
    if isinstance(exc, StorageFailure):
        return exc
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        for needle, kind in _SQLITE:
            if needle in text:
                return StorageFailure(kind, str(exc))
        return None
    if isinstance(exc, asyncpg.exceptions.DiskFullError):
        return StorageFailure("full", str(exc))
    if isinstance(exc, asyncpg.exceptions.ReadOnlySQLTransactionError):
        return StorageFailure("read-only", str(exc))
    if isinstance(exc, OSError) and exc.errno in _OS:
        return StorageFailure(_OS[exc.errno], str(exc))
    return None
