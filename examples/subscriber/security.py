"""How the subscriber reaches the platform's cluster, from the same ``KAFKA_*`` variables.

A national deployment is reached through an authenticated, encrypted listener; the
platform's operators hand a subscribing team the same settings its own services read:
``KAFKA_SECURITY_PROTOCOL`` (``PLAINTEXT``, ``SSL``, ``SASL_PLAINTEXT`` or ``SASL_SSL``),
``KAFKA_SASL_MECHANISM`` (``SCRAM-SHA-512``, ``SCRAM-SHA-256`` or ``PLAIN``),
``KAFKA_SASL_USERNAME``, ``KAFKA_SASL_PASSWORD`` and ``KAFKA_SSL_CAFILE`` (the CA of the
brokers' certificates; the system's trust store when unset). FastStream takes them as
one security object; none at all means PLAINTEXT.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

_SASL = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}
_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")


def kafka_security(environment: Mapping[str, str]) -> BaseSecurity | None:
    """FastStream's security object for the ``KAFKA_*`` variables (``None``: PLAINTEXT)."""
    protocol = environment.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    if protocol not in _PROTOCOLS:
        raise ValueError(f"KAFKA_SECURITY_PROTOCOL={protocol}: not one of {', '.join(_PROTOCOLS)}")
    use_tls = protocol.endswith("SSL")
    context = (
        ssl.create_default_context(cafile=environment.get("KAFKA_SSL_CAFILE") or None)
        if use_tls
        else None
    )
    if not protocol.startswith("SASL_"):
        return BaseSecurity(ssl_context=context, use_ssl=True) if use_tls else None
    mechanism = environment.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    if mechanism not in _SASL:
        raise ValueError(f"KAFKA_SASL_MECHANISM={mechanism}: not one of {', '.join(_SASL)}")
    return _SASL[mechanism](
        environment["KAFKA_SASL_USERNAME"],
        environment["KAFKA_SASL_PASSWORD"],
        ssl_context=context,
        use_ssl=use_tls,
    )
