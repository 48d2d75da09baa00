"""Trusting a MeetDesk server's TLS certificate: pinned, as the server's own certificates are not signed by
any authority.

A pin (:mod:`meetdesk.core.fingerprint`) comes from the room link (``#fp=sha256:…``) or from
:class:`KnownServers`, where a fingerprint a person confirmed once is remembered, as SSH's
``known_hosts`` does. :func:`server_context` fetches the certificate the server presents, checks it
against the pin and returns a TLS context that trusts exactly that certificate, so that every later
connection (REST, signalling) is refused by the TLS handshake itself if the server's certificate is
not that one. Without a pin, the usual certificate authorities decide (a server behind a real
certificate needs nothing from this module); when none vouches, :class:`UnknownCertificate` carries
the fingerprint for a person to confirm.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import ssl
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from meetdesk.client.errors import CertificateError, CertificateMismatch, ConnectionFailed, UnknownCertificate
from meetdesk.core.fingerprint import certificate_pin, is_pin

logger = logging.getLogger(__name__)

#: contexts that trust one certificate, by (origin, pin): building one per request would cost a handshake
_PINNED: dict[tuple[str, str], ssl.SSLContext] = {}


@cache
def authority_context() -> ssl.SSLContext:
    """One verifying TLS context (the system's authorities): building one costs tens of ms."""
    return ssl.create_default_context()


def origin(base_url: str) -> str:
    """``host:port`` of an https address (port 443 when not given): what a pin is remembered for."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port or 443}"


@dataclass
class KnownServers:
    """Fingerprints a person confirmed, by server (``host:port``), in a JSON file (no secrets in it).
    ``path`` None: kept in memory only."""

    path: Path | None = None
    pins: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> KnownServers:
        known = cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            known.pins = {str(k): str(v) for k, v in raw.get("servers", {}).items() if is_pin(str(v))}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as exc:
            logger.warning("Ignoring unreadable known servers file %s (%s)", path, type(exc).__name__)
        return known

    def get(self, base_url: str) -> str | None:
        return self.pins.get(origin(base_url))

    def remember(self, base_url: str, pin: str) -> None:
        if not is_pin(pin):
            raise ValueError(f"not a certificate fingerprint: {pin!r}")
        self.pins[origin(base_url)] = pin
        self._save()

    def forget(self, base_url: str) -> None:
        if self.pins.pop(origin(base_url), None) is not None:
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"servers": self.pins}, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)


def pinned_context(der: bytes) -> ssl.SSLContext:
    """A client context that trusts the certificate ``der`` and nothing else. Names are not checked: the
    pin is stronger than a name, and a server is often reached at an address its certificate lacks."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the certificate itself is the trust anchor
    context.load_verify_locations(cadata=der)
    return context


def _sni(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


async def fetch_certificate(base_url: str, timeout: float = 10.0) -> bytes:
    """The certificate (DER) the server at ``base_url`` presents, read without trusting it (nothing but the
    handshake is sent). Raises ConnectionFailed."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "", parts.port or 443
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=_sni(host)), timeout
        )
    except TimeoutError as exc:
        raise ConnectionFailed(base_url, f"no answer within {timeout:g} s") from exc
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionFailed(base_url, str(exc) or type(exc).__name__) from exc
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    if not der:
        raise ConnectionFailed(base_url, "the server presented no certificate")
    return bytes(der)


async def server_context(
    base_url: str, *, pin: str | None = None, known: KnownServers | None = None, timeout: float = 10.0
) -> ssl.SSLContext | None:
    """The TLS context to reach ``base_url`` with (None for http://). With a pin (``pin``, else the one
    ``known`` remembers) the server's certificate is fetched and checked first: CertificateMismatch when
    it is another one. Without, the system's authorities are trusted (see :func:`certificate_problem`)."""
    if urlsplit(base_url).scheme != "https":
        return None
    expected = pin or (known.get(base_url) if known is not None else None)
    if expected is None:
        return authority_context()
    key = (origin(base_url), expected)
    context = _PINNED.get(key)
    if context is not None:
        return context
    der = await fetch_certificate(base_url, timeout)
    presented = certificate_pin(der)
    if presented != expected:
        raise CertificateMismatch(base_url, expected, presented, from_link=pin is not None)
    context = _PINNED[key] = pinned_context(der)
    return context


async def certificate_problem(
    base_url: str, *, pin: str | None = None, known: KnownServers | None = None, timeout: float = 10.0
) -> CertificateError | ConnectionFailed | None:
    """After a handshake refused the server's certificate: what to tell the person. A mismatch with the
    pin, or (no pin) UnknownCertificate with the fingerprint to confirm. None when the server made a new
    certificate for the same key (the pin still matches): connecting again trusts the new one."""
    expected = pin or (known.get(base_url) if known is not None else None)
    if expected is not None:
        _PINNED.pop((origin(base_url), expected), None)  # the server's certificate changed since
    try:
        presented = certificate_pin(await fetch_certificate(base_url, timeout))
    except ConnectionFailed as exc:
        return exc
    if expected is None:
        return UnknownCertificate(base_url, presented)
    if presented == expected:
        return None
    return CertificateMismatch(base_url, expected, presented, from_link=pin is not None)


def is_certificate_failure(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a refused certificate rather than an unreachable server."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
