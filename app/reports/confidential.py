"""The reporter's identity: sealed at rest (AES-GCM, bound to the report id), never shown to
agencies; a keyed hash of the phone lets the hotline see a caller has called before."""

import base64
import hashlib
import hmac
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.geo.text import fold

_VERSION = b"\x01"


@dataclass(frozen=True, slots=True)
class Keyring:
    active_kid: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, raw: str) -> "Keyring":
        """`kid:base64key[,kid:base64key...]`: the first seals, every one can open."""
        keys: dict[str, bytes] = {}
        for part in raw.split(","):
            kid, sep, b64 = part.strip().partition(":")
            if not sep or not kid or len(kid) > 32:
                raise ValueError("REPORTER_KEYS entries are kid:base64(32 bytes)")
            key = base64.b64decode(b64)
            if len(key) != 32:
                raise ValueError(f"REPORTER_KEYS key {kid!r} is not 32 bytes")
            keys[kid] = key
        if not keys:
            raise ValueError("REPORTER_KEYS is empty")
        return cls(active_kid=next(iter(keys)), keys=keys)

    def seal_bytes(self, plaintext: bytes, *, aad: str) -> bytes:
        nonce = os.urandom(12)
        kid = self.active_kid.encode()
        ct = AESGCM(self.keys[self.active_kid]).encrypt(nonce, plaintext, aad.encode())
        return _VERSION + bytes([len(kid)]) + kid + nonce + ct

    def open_bytes(self, blob: bytes, *, aad: str) -> bytes:
        if blob[:1] != _VERSION:
            raise ValueError("unknown sealed format")
        n = blob[1]
        kid = blob[2:2 + n].decode()
        nonce, ct = blob[2 + n:14 + n], blob[14 + n:]
        return AESGCM(self.keys[kid]).decrypt(nonce, ct, aad.encode())

    def seal(self, contact: dict[str, str | None], *, report_id: str) -> bytes:
        return self.seal_bytes(json.dumps(contact, ensure_ascii=False).encode(), aad=report_id)

    def open(self, blob: bytes, *, report_id: str) -> dict[str, str | None]:
        result: dict[str, str | None] = json.loads(self.open_bytes(blob, aad=report_id))
        return result

    def kid_of(self, blob: bytes) -> str:
        return blob[2:2 + blob[1]].decode()


@cache
def keyring(raw: str) -> Keyring:
    return Keyring.parse(raw)


def normalise_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def phone_hash(phone: str, *, key: str) -> str:
    return hmac.new(key.encode(), normalise_phone(phone).encode(), hashlib.sha256).hexdigest()


# Vietnamese phone numbers as people write them: 0912 345 678, +84 912.345.678, 091-234-5678,
# (024) 3826 1234, 0912/345/678, 0912 - 345 - 678, spaced with tabs or no-break spaces (text
# pasted from apps). Any run of 9 to 14 digits with up to three separators between two digits
# is masked, which also hides ID-card numbers (12 digits): both identify people.
_PHONE = re.compile(r"(?<![\d+(])[(+]{0,2}\d(?:[\s.\-/()]{0,3}\d){8,13}(?!\d)")


def mask_phones(text: str) -> str:
    """Replace phone numbers written into a description, for what agencies receive."""
    return _PHONE.sub("[số điện thoại đã ẩn]", text)


def _fold_chars(text: str) -> str:
    """`fold` one character at a time, so that positions in the result are positions in
    `text`."""
    return "".join(fold(c)[:1] or c for c in text)


def without_reporter_name(text: str, name: str | None) -> str:
    """The reporter's own name masked wherever the description has it, in any case, with or
    without diacritics (agencies never see who reported). Names under three letters are left:
    they would mask ordinary words."""
    words = unicodedata.normalize("NFC", name or "").split()
    if sum(len(w) for w in words) < 3:
        return text
    text = unicodedata.normalize("NFC", text)
    folded = _fold_chars(text)
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(_fold_chars(w)) for w in words)
                         + r"(?!\w)")
    out, end = [], 0
    for m in pattern.finditer(folded):
        out += [text[end:m.start()], "[người báo tin]"]
        end = m.end()
    return "".join(out) + text[end:] if out else text
