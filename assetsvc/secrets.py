"""Encryption at rest of device passwords and other secrets (Fernet), with the keys from the
environment or a key file.

Several keys may be configured, newest first (a key rotation, docs/operations.md): the newest
seals, every one opens (cryptography's MultiFernet). ASSETSVC_SECRET_KEY holds them separated by
commas, the key file one per line.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from assetsvc.settings import Settings


class KeyError_(RuntimeError):
    """The credential key is missing, unreadable or wrong; the message says which and what to do."""


def _parse(items: list[str], source: str, position: str) -> list[bytes]:
    """The keys of `items` (blank ones skipped), each checked; a bad one is named by its position
    (`position` formatted with n, the item's 1-based place, and count, the items')."""
    keys = []
    for number, item in enumerate(items, 1):
        if not item.strip():
            continue
        key = item.strip().encode()
        try:
            Fernet(key)
        except (ValueError, TypeError):
            several = sum(1 for i in items if i.strip()) > 1
            at = position.format(n=number, count=len(items)) + f" in {source}" if several else f"the credential key in {source}"
            raise KeyError_(f"{at} is not a Fernet key (32 url-safe base64 bytes); "
                            "make one with `assetsvc keygen` (a new one for rotation: `assetsvc keys rotate`)") from None
        keys.append(key)
    return keys


def read_key_file(path: Path) -> list[bytes]:
    """The keys of a key file, newest first (one per line; blank lines skipped)."""
    try:
        text = path.read_bytes().decode("ascii")
    except OSError as exc:
        raise KeyError_(f"cannot read the key file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise KeyError_(f"the key file {path} is not a Fernet key file (32 url-safe base64 bytes a line)") from None
    lines = text.splitlines()
    keys = _parse(lines, str(path), "line {n} (one key a line, newest first)")
    if not keys:
        raise KeyError_(f"the key file {path} holds no key; make one with `assetsvc keygen`")
    return keys


def load_keys(settings: Settings) -> list[bytes]:
    """The configured keys, newest first; empty when neither ASSETSVC_SECRET_KEY nor the key file exists."""
    if settings.secret_key:
        keys = _parse(settings.secret_key.split(","), "ASSETSVC_SECRET_KEY",
                      "key {n} of {count} (comma-separated, newest first)")
        if not keys:
            raise KeyError_("ASSETSVC_SECRET_KEY holds no key (only commas and spaces)")
        return keys
    if settings.secret_key_file.exists():
        return read_key_file(settings.secret_key_file)
    return []


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the key file's folder while the list is read, changed and written,
    so two `keys rotate` (or a rotate and a retire) run one after the other, neither losing a key.
    (The folder, not a lock file: nothing is left beside the key; flock on a folder works on Linux.)"""
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _sync_folder(path: Path) -> None:
    """fsync the folder holding `path`, so its new name (a created or renamed file) survives a crash."""
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_synced(fd: int, data: bytes) -> None:
    """Write `data` to the open file `fd`, on disk before it is closed."""
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_keys(path: Path, keys: Sequence[bytes], *, replace: bool) -> None:
    """Write `keys` one a line into a file readable by its owner only (mode 600; a replaced file keeps
    the old one's group read, 640).

    A replaced file is swapped in whole (a new file, under a name of its own in the same folder,
    renamed over it), so a reader sees the old list or the new one, never half of one, and keeps
    the old file's owner where we may set it. The caller holds the folder's lock (`_locked`)."""
    data = b"".join(key + b"\n" for key in keys)
    if not replace:
        _write_synced(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), data)
        _sync_folder(path)
        return
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")  # mode 600
    target = Path(name)
    try:
        _write_synced(fd, data)
        old = path.stat()
        try:
            os.chown(target, old.st_uid, old.st_gid)
        except PermissionError:  # not root: the file stays ours, as the old one was; its group
            try:  # may still be the old one's (an operator in that group)
                os.chown(target, -1, old.st_gid)
            except PermissionError:
                pass
        # Keep the old file's group read (a key file 640 root:assetsvc, as in docs/operations.md, read
        # by services running as assetsvc), and only for that group: never more than that, no write
        # bits, nothing for others, and no read for another group the file fell to.
        same_group = target.stat().st_gid == old.st_gid
        os.chmod(target, 0o600 | (old.st_mode & 0o040 if same_group else 0))
        os.replace(target, path)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    _sync_folder(path)


def write_key_file(path: Path) -> bytes:
    """Create a new key file readable by its owner only; refuse to overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    _write_keys(path, [key], replace=False)
    return key


def write_keys(path: Path, keys: Sequence[bytes]) -> None:
    """Create a key file holding `keys`, newest first (a backup's copy); refuse to overwrite one."""
    _write_keys(path, keys, replace=False)


def add_key(path: Path) -> list[bytes]:
    """Put a new key at the head of an existing key file, keeping the others; returns the new list."""
    with _locked(path):
        keys = [Fernet.generate_key(), *read_key_file(path)]
        _write_keys(path, keys, replace=True)
    return keys


def keep_newest(path: Path, checked: Sequence[bytes]) -> list[bytes]:
    """Drop every key of the key file but the newest; returns the dropped keys.

    `checked` is the list the caller found the newest key of to open everything stored; a key file
    that no longer holds exactly that list (a `keys rotate` meanwhile) is refused, nothing written:
    its newest key may have sealed nothing yet, and dropping the others would lose the one that did."""
    with _locked(path):
        keys = read_key_file(path)
        if keys != list(checked):
            raise KeyError_(f"the key file {path} changed while `keys retire` checked the stored secrets "
                            "(a `keys rotate` meanwhile?); no key was removed: run `assetsvc keys reencrypt`, "
                            "then `assetsvc keys retire` again")
        if len(keys) > 1:
            _write_keys(path, keys[:1], replace=True)
    return keys[1:]


@dataclass(frozen=True)
class Resealed:
    """What a re-encryption did to one kind of secret."""

    kind: str  # "device credentials", "webhook secrets", ...
    resealed: int  # sealed again with the newest key
    current: int  # already sealed with it: left as they were


class Vault:
    """Encrypts with the newest key and decrypts with any configured one."""

    def __init__(self, keys: bytes | Sequence[bytes] | None) -> None:
        keys = [keys] if isinstance(keys, bytes) else list(keys or [])
        self._fernet = MultiFernet([Fernet(k) for k in keys]) if keys else None
        self._newest = Fernet(keys[0]) if keys else None

    @property
    def ready(self) -> bool:
        return self._fernet is not None

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise KeyError_(
                "no credential key: set ASSETSVC_SECRET_KEY or create the key file with `assetsvc keygen`"
            )
        return self._fernet

    def encrypt(self, secret: str) -> str:
        return self._require().encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._require().decrypt(token.encode()).decode()
        except InvalidToken:
            raise KeyError_(
                "a stored device credential cannot be decrypted with the configured key(s) "
                "(ASSETSVC_SECRET_KEY / key file changed?)"
            ) from None

    def sealed_with_newest(self, token: str) -> bool:
        """Whether the newest key alone opens `token`."""
        self._require()
        try:
            self._newest.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, rows: Iterable[Any], kind: str, token_of: Callable[[Any], str],
               name_of: Callable[[Any], str]) -> tuple[list[tuple[Any, str]], Resealed]:
        """Each row's token sealed again with the newest key, for the rows not sealed with it yet.

        Raises KeyError_ naming the first row (`name_of`, never its secret) that no configured
        key opens, before the caller writes anything."""
        fernet = self._require()
        changed, current = [], 0
        for row in rows:
            token = token_of(row)
            if self.sealed_with_newest(token):
                current += 1
                continue
            try:
                changed.append((row, fernet.rotate(token.encode()).decode()))
            except InvalidToken:
                raise KeyError_(f"{name_of(row)}: no configured key opens its secret (it was sealed with a key "
                                "that is not in ASSETSVC_SECRET_KEY / the key file); put that key back in the "
                                "list, or set the secret again; nothing was re-encrypted") from None
        return changed, Resealed(kind, len(changed), current)
