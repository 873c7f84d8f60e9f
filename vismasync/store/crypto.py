"""Encryption of secrets at rest (OAuth tokens) in the state database.

The key comes from ``VISMASYNC_SECRET_KEY`` (a Fernet key) or, when unset, from a key file
created on first use under the vismasync home directory with owner-only permissions.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from vismasync.store.database import vismasync_home


class SecretKeyError(RuntimeError):
    """The encryption key is missing, malformed, or does not match the stored data."""


def key_file() -> Path:
    return vismasync_home() / "secret.key"


def load_key() -> bytes:
    configured = os.environ.get("VISMASYNC_SECRET_KEY")
    if configured:
        return configured.encode()
    path = key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes creating the key at once must not end up with different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


class SecretBox:
    """Encrypts and decrypts short secrets."""

    def __init__(self, key: bytes | None = None):
        try:
            self._fernet = Fernet(key or load_key())
        except ValueError as exc:
            raise SecretKeyError(
                "VISMASYNC_SECRET_KEY is not a valid key: it must be 32 url-safe base64-encoded "
                "bytes (generate one with `vismasync db new-key`)"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError(
                "Stored tokens cannot be decrypted with the current key: VISMASYNC_SECRET_KEY or "
                f"{key_file()} changed since they were stored. Restore the key, or authorize "
                "the connection again."
            ) from exc
