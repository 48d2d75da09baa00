"""The server's own TLS certificate, for when it is reached over a network.

Off loopback the server speaks only HTTPS and WSS: room-link secrets, tokens and the DTLS fingerprints
in the SDP must not cross a network in clear. Unless it is given a certificate, the server makes one:
an ECDSA P-256 key (``tls-key.pem``, mode 0600, kept across starts) and a self-signed certificate
(``tls-cert.pem``) whose subject alternative names are the addresses it is reached at. When those
change, a new certificate is made for the same key, so the pin (:mod:`meetdesk.core.fingerprint`) that
MeetDesk clients hold stays valid.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from meetdesk.core.fingerprint import certificate_pin

logger = logging.getLogger(__name__)

CERT_FILE = "tls-cert.pem"
KEY_FILE = "tls-key.pem"
VALIDITY = dt.timedelta(days=825)
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class ServerCertificate:
    """Files for uvicorn, and the pin room links carry (None for a certificate the operator provided:
    its key may change when it is renewed, so links do not pin it)."""

    cert_file: Path
    key_file: Path
    pin: str | None


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return x509.DNSName(name)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        return None
    except ValueError:
        logger.warning("The TLS key %s is unreadable; making a new one (links pinned to the old one fail)", path)
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey) else None


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret: created 0600 (never readable by others, not even for a moment), then renamed."""
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def _current_names(path: Path) -> tuple[set[str], dt.datetime] | None:
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (FileNotFoundError, ValueError, x509.ExtensionNotFound):
        return None
    names = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} | set(san.get_values_for_type(x509.DNSName))
    return names, certificate.not_valid_after_utc


def _names(hosts: list[str]) -> list[str]:
    names: list[str] = []
    for host in hosts:
        host = host.strip("[]")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if host and host not in names:
                names.append(host)
            continue
        if not address.is_unspecified and str(address) not in names:
            names.append(str(address))
    return names


def ensure_certificate(data_dir: Path, hosts: list[str]) -> ServerCertificate:
    """The server's certificate in ``data_dir``, made (or made again, same key) for ``hosts`` when needed."""
    data_dir.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = data_dir / CERT_FILE, data_dir / KEY_FILE
    names = _names(hosts)
    key = _load_key(key_file)
    if key is None:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(key_file, pem)
        current = None
    else:
        os.chmod(key_file, 0o600)  # a key copied in with looser rights is tightened
        current = _current_names(cert_file)
    now = dt.datetime.now(dt.UTC)
    if current is None or current[0] != set(names) or current[1] - now < RENEW_BEFORE:
        cert_file.write_bytes(_self_signed(key, names, now).public_bytes(serialization.Encoding.PEM))
        logger.info("Made a TLS certificate for %s", ", ".join(names))
    der = x509.load_pem_x509_certificate(cert_file.read_bytes()).public_bytes(serialization.Encoding.DER)
    return ServerCertificate(cert_file, key_file, certificate_pin(der))


def _self_signed(key: ec.EllipticCurvePrivateKey, names: list[str], now: dt.datetime) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (names[0] if names else "MeetDesk")[:64])])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )


def provided_certificate(cert_file: Path, key_file: Path) -> ServerCertificate:
    """A certificate the operator gave (``--tls-cert``/``--tls-key``); ValueError says what is wrong."""
    for what, path in (("certificate", cert_file), ("key", key_file)):
        if not path.is_file():
            raise ValueError(f"The TLS {what} file {path} does not exist.")
    return ServerCertificate(cert_file, key_file, None)
