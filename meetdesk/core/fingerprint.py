"""Certificate fingerprints that MeetDesk clients pin: SHA-256 of the certificate's public key (its DER
SubjectPublicKeyInfo), written ``sha256:<base64url, no padding>``.

The key, not the whole certificate, is what a pin names: the server keeps its key when it makes a new
certificate for a new address, so links handed out earlier keep matching. Room links carry the pin in
their fragment (``…?secret=…#fp=sha256:…``), which OpenVidu-style clients ignore and no server ever sees.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PIN_PREFIX = "sha256:"
_PIN = re.compile(r"^sha256:[A-Za-z0-9_-]{43}$")


def certificate_pin(der: bytes) -> str:
    """The pin of a DER certificate. Raises ValueError if ``der`` is not a certificate."""
    certificate = x509.load_der_x509_certificate(der)
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.sha256(spki).digest()
    return PIN_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def is_pin(text: str) -> bool:
    """Whether ``text`` is a pin as :func:`certificate_pin` writes it."""
    return bool(_PIN.match(text))


def pin_for_people(pin: str) -> str:
    """The pin cut in groups of four, for a person comparing it with another screen."""
    body = pin.removeprefix(PIN_PREFIX)
    return "SHA-256 " + " ".join(body[i : i + 4] for i in range(0, len(body), 4))
