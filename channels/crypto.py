"""Encryption of platform credentials at rest (Fernet: AES-128-CBC + HMAC-SHA256).

``RONGMEI_CREDENTIALS_KEY`` may hold several keys separated by commas: the first
encrypts, all of them decrypt, which is how a key is rotated (see
``manage.py rotate_credentials_key``).

Nothing here puts a value, a plaintext or a token into an exception message, and
the functions that hold plaintext hide it from Django's error reports.
"""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables


class CredentialsError(Exception):
    """Stored credentials cannot be read with the configured keys.

    The message never holds a value, a plaintext or a token: it may be logged.
    """


@sensitive_variables("raw", "key")
def _fernets():
    """One Fernet per key of ``RONGMEI_CREDENTIALS_KEY``, the encrypting one first.

    Plain loops rather than comprehensions: a comprehension runs in a frame of its
    own, which ``sensitive_variables`` would not hide from error reports.
    """
    raw = settings.RONGMEI_CREDENTIALS_KEY or ""
    fernets = []
    for key in raw.split(","):
        key = key.strip()
        if not key:
            continue
        try:
            fernets.append(Fernet(key))
        except ValueError:
            raise ImproperlyConfigured(
                "Key %d of RONGMEI_CREDENTIALS_KEY is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)." % (len(fernets) + 1)
            ) from None
    if not fernets:
        raise ImproperlyConfigured("RONGMEI_CREDENTIALS_KEY is not set.")
    return fernets


def key_count():
    """How many keys ``RONGMEI_CREDENTIALS_KEY`` holds."""
    return len(_fernets())


def _fernet():
    return MultiFernet(_fernets())


@sensitive_variables("values", "plaintext")
def encrypt_credentials(values):
    plaintext = json.dumps(values, ensure_ascii=False, sort_keys=True).encode()
    return _fernet().encrypt(plaintext).decode()


@sensitive_variables("plaintext")
def decrypt_credentials(token):
    if not token:
        return {}
    try:
        plaintext = _fernet().decrypt(token.encode())
    except InvalidToken:
        # ``from None``: the chained exception would add nothing useful.
        raise CredentialsError(
            "Stored credentials cannot be decrypted with RONGMEI_CREDENTIALS_KEY."
        ) from None
    try:
        return json.loads(plaintext)
    except ValueError:
        # Raised below, outside this block, so that the JSONDecodeError, which
        # keeps the whole document in its ``doc``, is not even its __context__.
        pass
    raise CredentialsError("Stored credentials were decrypted but are not valid JSON.")


def rotate_token(token):
    """Return ``token`` re-encrypted with the first configured key.

    Raise ``CredentialsError`` when no configured key can read it.
    """
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsError(
            "Stored credentials cannot be decrypted with RONGMEI_CREDENTIALS_KEY."
        ) from None


def first_key_reads(token):
    """Whether the encrypting (first) key alone can read ``token``."""
    try:
        _fernets()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def generate_key():
    return Fernet.generate_key().decode()
