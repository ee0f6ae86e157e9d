"""Encryption at rest of device passwords (Fernet), with the key from the environment or a file."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from assetsvc.settings import Settings


class KeyError_(RuntimeError):
    """The credential key is missing, unreadable or wrong; the message says which and what to do."""


def load_key(settings: Settings) -> bytes | None:
    """The configured key, or None when neither ASSETSVC_SECRET_KEY nor the key file exists."""
    if settings.secret_key:
        raw = settings.secret_key.encode()
        source = "ASSETSVC_SECRET_KEY"
    elif settings.secret_key_file.exists():
        raw = settings.secret_key_file.read_bytes().strip()
        source = str(settings.secret_key_file)
    else:
        return None
    try:
        Fernet(raw)
    except (ValueError, TypeError):
        raise KeyError_(
            f"the credential key in {source} is not a Fernet key (32 url-safe base64 bytes); "
            "make one with `assetsvc keygen`"
        ) from None
    return raw


def write_key_file(path: Path) -> bytes:
    """Create a new key file readable by its owner only; refuse to overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


class Vault:
    """Encrypts and decrypts device secrets with one key."""

    def __init__(self, key: bytes | None) -> None:
        self._fernet = Fernet(key) if key else None

    @property
    def ready(self) -> bool:
        return self._fernet is not None

    def _require(self) -> Fernet:
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
                "a stored device credential cannot be decrypted with the configured key "
                "(ASSETSVC_SECRET_KEY / key file changed?)"
            ) from None
