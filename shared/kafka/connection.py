"""How every Kafka client of the platform reaches the cluster: where, and how securely.

A national deployment names its cluster by a comma-separated list of brokers and
reaches it through an authenticated, encrypted listener. Every client (the outbox
relay, the projection consumers, the dead-letter producer, the FastStream broker, the
admin calls and the CLI) is built from one :class:`KafkaConnection`, so none of them
can forget the list or the credentials:

* ``KAFKA_BOOTSTRAP_SERVERS``: ``host1:9092,host2:9092,…`` (each ``host:port``);
* ``KAFKA_SECURITY_PROTOCOL``: ``PLAINTEXT`` (the default), ``SSL``,
  ``SASL_PLAINTEXT`` or ``SASL_SSL``;
* ``KAFKA_SASL_MECHANISM`` (``SCRAM-SHA-512``, ``SCRAM-SHA-256`` or ``PLAIN``),
  ``KAFKA_SASL_USERNAME`` and ``KAFKA_SASL_PASSWORD`` for the SASL protocols;
* ``KAFKA_SSL_CAFILE`` (the CA that signed the brokers' certificates; the system's
  trust store when unset), and ``KAFKA_SSL_CERTFILE`` with ``KAFKA_SSL_KEYFILE`` (and
  ``KAFKA_SSL_KEY_PASSWORD``) for mutual TLS.

Settings that cannot work are refused when read, naming the setting; the password
never appears in an error or a description.
"""

from __future__ import annotations

import ssl
from enum import StrEnum
from pathlib import Path
from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092"


class SecurityProtocol(StrEnum):
    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"

    @property
    def uses_sasl(self) -> bool:
        return self in (SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL)

    @property
    def uses_tls(self) -> bool:
        return self in (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL)


class SaslMechanism(StrEnum):
    SCRAM_SHA_512 = "SCRAM-SHA-512"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    PLAIN = "PLAIN"


class KafkaConnection(BaseSettings):
    """The brokers to bootstrap from and the security of every connection to them."""

    model_config = SettingsConfigDict(
        env_prefix="KAFKA_", extra="ignore", hide_input_in_errors=True, frozen=True
    )

    bootstrap_servers: str = Field(
        default=DEFAULT_BOOTSTRAP_SERVERS,
        description="Comma-separated `host:port` list of brokers to bootstrap from.",
    )
    security_protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    sasl_mechanism: SaslMechanism = SaslMechanism.SCRAM_SHA_512
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = Field(
        default=None, description="PEM of the CA to trust; the system's trust store when unset."
    )
    ssl_certfile: Path | None = Field(default=None, description="Client certificate (mTLS).")
    ssl_keyfile: Path | None = Field(default=None, description="Client key (mTLS).")
    ssl_key_password: SecretStr | None = None

    @field_validator("bootstrap_servers")
    @classmethod
    def _a_list_of_host_ports(cls, value: str) -> str:
        servers = [server.strip() for server in value.split(",") if server.strip()]
        if not servers:
            raise ValueError("KAFKA_BOOTSTRAP_SERVERS names no broker")
        for server in servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(
                    f"KAFKA_BOOTSTRAP_SERVERS: {server!r} is not host:port "
                    "(the list is comma-separated: host1:9092,host2:9092)"
                )
        return ",".join(servers)

    @field_validator("sasl_username", "ssl_cafile", "ssl_certfile", "ssl_keyfile", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _refuse_what_cannot_work(self) -> KafkaConnection:
        if self.security_protocol.uses_sasl and not (self.sasl_username and self.sasl_password):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs KAFKA_SASL_USERNAME "
                "and KAFKA_SASL_PASSWORD"
            )
        tls_files = {
            "KAFKA_SSL_CAFILE": self.ssl_cafile,
            "KAFKA_SSL_CERTFILE": self.ssl_certfile,
            "KAFKA_SSL_KEYFILE": self.ssl_keyfile,
        }
        given = {name: path for name, path in tls_files.items() if path is not None}
        if given and not self.security_protocol.uses_tls:
            raise ValueError(
                f"{', '.join(given)} set, but KAFKA_SECURITY_PROTOCOL="
                f"{self.security_protocol} does not use TLS (SSL or SASL_SSL)"
            )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together (mTLS)")
        for name, path in given.items():
            if not path.is_file():
                raise ValueError(f"{name}: no file at {path}")
        return self

    @classmethod
    def to(cls, bootstrap_servers: str) -> KafkaConnection:
        """The environment's security settings, towards the brokers ``bootstrap_servers``."""
        return cls(bootstrap_servers=bootstrap_servers)

    @property
    def servers(self) -> list[str]:
        """The bootstrap list, one ``host:port`` an item (what the clients take)."""
        return self.bootstrap_servers.split(",")

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context of the connections, or ``None`` without TLS."""
        if not self.security_protocol.uses_tls:
            return None
        context = ssl.create_default_context(
            cafile=str(self.ssl_cafile) if self.ssl_cafile else None
        )
        if self.ssl_certfile is not None and self.ssl_keyfile is not None:
            context.load_cert_chain(
                str(self.ssl_certfile),
                str(self.ssl_keyfile),
                password=self.ssl_key_password.get_secret_value()
                if self.ssl_key_password
                else None,
            )
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments of aiokafka's producer, consumer and admin client."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.servers,
            "security_protocol": str(self.security_protocol),
        }
        if self.security_protocol.uses_tls:
            options["ssl_context"] = self.ssl_context()
        if self.security_protocol.uses_sasl:
            assert self.sasl_password is not None  # checked when the settings were read
            options["sasl_mechanism"] = str(self.sasl_mechanism)
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return options

    def faststream_security(self) -> BaseSecurity | None:
        """The same settings as FastStream's broker takes them."""
        context = self.ssl_context()
        use_tls = self.security_protocol.uses_tls
        if not self.security_protocol.uses_sasl:
            return BaseSecurity(ssl_context=context, use_ssl=True) if use_tls else None
        assert self.sasl_username is not None
        assert self.sasl_password is not None
        kind = {
            SaslMechanism.SCRAM_SHA_512: SASLScram512,
            SaslMechanism.SCRAM_SHA_256: SASLScram256,
            SaslMechanism.PLAIN: SASLPlaintext,
        }[self.sasl_mechanism]
        return kind(
            self.sasl_username,
            self.sasl_password.get_secret_value(),
            ssl_context=context,
            use_ssl=use_tls,
        )

    def describe(self) -> str:
        """For messages: the brokers and how they are reached, never the password."""
        how = str(self.security_protocol)
        if self.security_protocol.uses_sasl:
            how += f", {self.sasl_mechanism} as {self.sasl_username}"
        return f"{self.bootstrap_servers} ({how})"
