"""The TLS of a local Kafka cluster: a certificate authority made for the cluster alone,
and the brokers' certificate it signs, so that clients reach the brokers encrypted and
check whom they talk to exactly as they would in a deployment, without a real CA.

The files are PEM: ``ca.pem`` is what a client trusts (``KAFKA_SSL_CAFILE``);
``broker-chain.pem`` (the brokers' certificate, then the CA's) and ``broker-key.pem``
(PKCS#8, readable by its owner only) are what the brokers present. The CA's own key is
never written: a new one is made with the next set.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_NAMES = ("127.0.0.1", "localhost")
VALIDITY = timedelta(days=3650)
"""Long enough that a developer's stack never finds its certificates expired."""
CLOCK_SKEW = timedelta(hours=1)


@dataclass(frozen=True)
class BrokerCertificates:
    """Where one cluster's certificates are (or will be) written."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def chain_file(self) -> Path:
        return self.directory / "broker-chain.pem"

    @property
    def key_file(self) -> Path:
        return self.directory / "broker-key.pem"

    def exist(self) -> bool:
        return all(path.is_file() for path in (self.ca_file, self.chain_file, self.key_file))

    def issue(self, names: Sequence[str] = LOOPBACK_NAMES) -> None:
        """Make a new CA and a brokers' certificate for ``names`` (hosts or IP addresses)
        signed by it, replacing whatever was there."""
        now = datetime.now(UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bapas local Kafka CA")])
        ca_certificate = (
            _certificate(ca_name, ca_key.public_key(), now)
            .issuer_name(ca_name)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        broker_key = ec.generate_private_key(ec.SECP256R1())
        broker_certificate = (
            _certificate(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]),
                broker_key.public_key(),
                now,
            )
            .issuer_name(ca_name)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=True,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(_general_names(names)), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        ca_pem = ca_certificate.public_bytes(serialization.Encoding.PEM)
        self.ca_file.write_bytes(ca_pem)
        self.chain_file.write_bytes(
            broker_certificate.public_bytes(serialization.Encoding.PEM) + ca_pem
        )
        self.key_file.touch(mode=0o600)
        self.key_file.chmod(0o600)
        self.key_file.write_bytes(
            broker_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def _certificate(
    subject: x509.Name, public_key: ec.EllipticCurvePublicKey, now: datetime
) -> x509.CertificateBuilder:
    """What every certificate here has: subject, key, serial, validity, key identifier."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _general_names(names: Sequence[str]) -> list[x509.GeneralName]:
    general: list[x509.GeneralName] = []
    for name in names:
        try:
            general.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            general.append(x509.DNSName(name))
    return general
