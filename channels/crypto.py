"""Encryption of platform credentials at rest (Fernet: AES-128-CBC + HMAC-SHA256).

``RONGMEI_CREDENTIALS_KEY`` may hold several keys separated by commas: the first
encrypts, all of them decrypt, which is how a key is rotated.
"""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsError(Exception):
    """Stored credentials cannot be read with the configured keys."""


def _fernet():
    raw = settings.RONGMEI_CREDENTIALS_KEY or ""
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured("RONGMEI_CREDENTIALS_KEY is not set.")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as e:
        raise ImproperlyConfigured(
            "RONGMEI_CREDENTIALS_KEY is not a valid Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from e


def encrypt_credentials(values):
    plaintext = json.dumps(values, ensure_ascii=False, sort_keys=True).encode()
    return _fernet().encrypt(plaintext).decode()


def decrypt_credentials(token):
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as e:
        raise CredentialsError(
            "Stored credentials cannot be decrypted with RONGMEI_CREDENTIALS_KEY."
        ) from e
