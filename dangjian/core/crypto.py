"""国密 field protection: SM4-GCM encryption, HMAC-SM3 blind indexes, SM3 hashing, self-test.

Keys live outside the database in a JSON key file (``settings.FIELD_KEY_FILE``)::

    {"current": 1, "enc": {"1": "<32 hex>"}, "bidx": "<64 hex>"}

A sealed value is ``version byte || 12-byte random IV || ciphertext || 16-byte tag``; the
associated data binds it to its table, row and field (CRY-02), so a value copied into another
row or field fails to decrypt.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

IV_BYTES = 12
TAG_BYTES = 16

__all__ = [
    "CryptoSelfTestError",
    "InvalidTag",
    "KeyRing",
    "blind_index",
    "key_file",
    "keyring",
    "keyring_reload",
    "open_sealed",
    "reseal",
    "rotate_keyring",
    "seal",
    "self_test",
    "sm3_hex",
]


class CryptoSelfTestError(RuntimeError):
    """A known-answer test failed: the SM3/SM4 implementation cannot be trusted."""


@dataclass(frozen=True)
class KeyRing:
    current: int
    enc: dict[int, bytes]
    bidx: bytes

    @classmethod
    def generate(cls) -> KeyRing:
        return cls(current=1, enc={1: secrets.token_bytes(16)}, bidx=secrets.token_bytes(32))

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        data = json.loads(path.read_text())
        return cls(
            current=int(data["current"]),
            enc={int(k): bytes.fromhex(v) for k, v in data["enc"].items()},
            bidx=bytes.fromhex(data["bidx"]),
        )

    def dump(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "current": self.current,
            "enc": {str(k): v.hex() for k, v in self.enc.items()},
            "bidx": self.bidx.hex(),
        }
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(payload, fh)
        tmp.replace(path)

    def with_new_version(self) -> KeyRing:
        version = max(self.enc) + 1
        return KeyRing(
            current=version, enc={**self.enc, version: secrets.token_bytes(16)}, bidx=self.bidx
        )


_ring_cache: tuple[str, tuple[int, int, int], KeyRing, float] | None = None
# How often a running process looks at the key file again (a stat per sealed value read cost
# more than the decryption). Rotation in this process reloads at once (``keyring_reload``).
RING_CHECK_SECONDS = 1.0


def key_file() -> Path:
    from django.conf import settings

    return Path(settings.FIELD_KEY_FILE)


def keyring() -> KeyRing:
    """The key ring from the key file, re-read whenever the file changes (key rotation).

    A running server therefore seals with the new version as soon as ``dangjian keys rotate``
    has replaced the file, while older versions stay readable (CRY-05).
    """
    global _ring_cache
    from django.conf import settings

    name = str(settings.FIELD_KEY_FILE)
    cached = _ring_cache
    now = time.monotonic()
    if cached is not None and cached[0] == name and now - cached[3] < RING_CHECK_SECONDS:
        return cached[2]
    path = Path(name)
    if not path.exists():
        KeyRing.generate().dump(path)
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
    if cached is not None and cached[0] == name and cached[1] == stamp:
        _ring_cache = (name, stamp, cached[2], now)
        return cached[2]
    ring = KeyRing.load(path)
    _ring_cache = (name, stamp, ring, now)
    return ring


def keyring_reload() -> None:
    """Forget the cached key ring (tests that point ``FIELD_KEY_FILE`` elsewhere)."""
    global _ring_cache
    _ring_cache = None


_algorithms: dict[bytes, algorithms.SM4] = {}


def _sm4(key: bytes) -> algorithms.SM4:
    """The algorithm object of a key, made once (it only holds the key; reused per value)."""
    found = _algorithms.get(key)
    if found is None:
        if len(_algorithms) > 64:  # rotated keys: a handful at most
            _algorithms.clear()
        found = _algorithms[key] = algorithms.SM4(key)
    return found


def seal(plaintext: str, aad: str, ring: KeyRing | None = None) -> bytes:
    ring = ring or keyring()
    iv = secrets.token_bytes(IV_BYTES)
    encryptor = Cipher(_sm4(ring.enc[ring.current]), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    return bytes([ring.current]) + iv + body + encryptor.tag


def open_sealed(sealed: bytes, aad: str, ring: KeyRing | None = None) -> str:
    """Decrypt a sealed value; raises ``InvalidTag`` if it was altered or moved."""
    ring = ring or keyring()
    sealed = bytes(sealed)
    version, iv, body, tag = (
        sealed[0],
        sealed[1 : 1 + IV_BYTES],
        sealed[1 + IV_BYTES : -TAG_BYTES],
        sealed[-TAG_BYTES:],
    )
    key = ring.enc.get(version)
    if key is None:
        raise InvalidTag(f"unknown key version {version}")
    decryptor = Cipher(_sm4(key), modes.GCM(iv, tag)).decryptor()
    decryptor.authenticate_additional_data(aad.encode())
    return (decryptor.update(body) + decryptor.finalize()).decode()


def sealed_version(sealed: bytes) -> int:
    return bytes(sealed)[0]


# --- key rotation (CRY-05) -------------------------------------------------------------------


def rotate_keyring(path: Path | None = None) -> KeyRing:
    """Add a new encryption key version to the key file and make it current.

    Old versions stay in the file, so values sealed under them remain readable until they have
    been re-encrypted (``dangjian keys rotate`` does both). The blind-index key is unchanged.
    """
    path = path or key_file()
    ring = KeyRing.load(path) if path.exists() else KeyRing.generate()
    rotated = ring.with_new_version()
    rotated.dump(path)
    keyring_reload()
    return rotated


def reseal(sealed: bytes, aad: str, ring: KeyRing | None = None) -> bytes | None:
    """Re-encrypt a sealed value under the current key version; None if already current.

    Raises ``InvalidTag`` when the value cannot be opened (altered, moved, or unknown key).
    """
    ring = ring or keyring()
    if sealed_version(sealed) == ring.current:
        return None
    return seal(open_sealed(sealed, aad, ring), aad, ring)


def blind_index(value: str, purpose: str, ring: KeyRing | None = None) -> str:
    """HMAC-SM3 of the normalised value under the blind-index key (CRY-04)."""
    ring = ring or keyring()
    mac = hmac.HMAC(ring.bidx, hashes.SM3())
    mac.update(purpose.encode() + b"\x00" + value.strip().upper().encode())
    return mac.finalize().hex()


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


# Published known-answer vectors (CRY-03).
_SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"  # GB/T 32905 A.1
_SM4_KEY = "0123456789abcdeffedcba9876543210"  # GB/T 32907 A.1: key = plaintext
_SM4_CT = "681edf34d206965e86b3e94f536e4246"
# RFC 8998 A.1 SM4-GCM
_GCM_KEY = "0123456789ABCDEFFEDCBA9876543210"
_GCM_IV = "00001234567800000000ABCD"
_GCM_AAD = "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2"
_GCM_PT = (
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
_GCM_CT = (
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
_GCM_TAG = "83DE3541E4C2B58177E065A9BF7B62EC"


def self_test() -> None:
    """Check SM3 and SM4 (ECB block and GCM) against published vectors; raise on mismatch."""
    if sm3_hex(b"abc") != _SM3_ABC:
        raise CryptoSelfTestError("SM3('abc') does not match GB/T 32905")
    key = bytes.fromhex(_SM4_KEY)
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 (KAT only)
    if (enc.update(key) + enc.finalize()).hex() != _SM4_CT:
        raise CryptoSelfTestError("SM4 block does not match GB/T 32907")
    gcm = Cipher(
        algorithms.SM4(bytes.fromhex(_GCM_KEY)), modes.GCM(bytes.fromhex(_GCM_IV))
    ).encryptor()
    gcm.authenticate_additional_data(bytes.fromhex(_GCM_AAD))
    ct = gcm.update(bytes.fromhex(_GCM_PT)) + gcm.finalize()
    if ct.hex().upper() != _GCM_CT or gcm.tag.hex().upper() != _GCM_TAG:
        raise CryptoSelfTestError("SM4-GCM does not match RFC 8998")
