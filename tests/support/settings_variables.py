"""The environment variables each service's settings read, and which of them are secrets.

A service ignores a variable its settings do not read, so a misspelt or stale name in
a deployment file (the compose file, the Kubernetes manifests) changes nothing and
fails nowhere. The deployment tests compare what those files give each service with
what these helpers find in the settings classes themselves, and check that every
secret among them is referenced, never written.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import AliasChoices, SecretStr
from pydantic_settings import BaseSettings

from services.employment.settings import EmploymentSettings
from services.enrolment.settings import EnrolmentSettings
from services.insights.settings import InsightsSettings
from services.notifications.settings import NotificationsSettings
from services.pokmas.settings import PokmasSettings
from shared.http.limits import RequestLimits
from shared.settings import AuthSettings, ServiceSettings

SETTINGS: dict[str, type[ServiceSettings]] = {
    "pokmas": PokmasSettings,
    "enrolment": EnrolmentSettings,
    "notifications": NotificationsSettings,
    "insights": InsightsSettings,
    "employment": EmploymentSettings,
}
SERVICES = tuple(SETTINGS)
PROCESS_SETTINGS: tuple[type[BaseSettings], ...] = (AuthSettings, RequestLimits)
"""Settings every service process reads besides its own: how tokens are verified, how
large a request may be."""

SECRET_WORDS = frozenset({"SECRET", "PASSWORD", "KEY", "KEYS"})
"""The last word of a secret's name (``BAPAS_JWT_SECRET``, ``KAFKA_SASL_PASSWORD``,
``ENROLMENT_PROFILE_MASTER_KEY``, ``ENROLMENT_PROFILE_PREVIOUS_MASTER_KEYS``), unless a
public key's (``BAPAS_JWT_PUBLIC_KEY``)."""


def _annotated_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


def _fields_read_by(settings: type[BaseSettings]) -> dict[str, Any]:
    """Each variable the settings class reads, with the annotation of its field."""
    prefix = settings.model_config.get("env_prefix") or ""
    fields: dict[str, Any] = {}
    for field_name, field in settings.model_fields.items():
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseSettings):
            fields |= _fields_read_by(nested)  # the Kafka connection, KAFKA_-prefixed
            continue
        alias = field.validation_alias
        if isinstance(alias, str):
            names = [alias]
        elif isinstance(alias, AliasChoices):
            names = [choice for choice in alias.choices if isinstance(choice, str)]
        else:
            names = [f"{prefix}{field_name}"]
        fields |= {name.upper(): field.annotation for name in names}
    return fields


def variables_read_by(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads: prefixed field names, or aliases,
    and those of the settings it holds (the Kafka connection)."""
    return set(_fields_read_by(settings))


def variables_of_service(name: str) -> set[str]:
    """Everything the service ``name`` reads: its own settings and the process's."""
    return set().union(*(variables_read_by(s) for s in (SETTINGS[name], *PROCESS_SETTINGS)))


def is_secret(variable: str) -> bool:
    """Whether the variable's value must be kept secret, by its name: a key, a secret, a
    password, or a database URL (which carries the password)."""
    words = variable.upper().split("_")
    named_secret = words[-1] in SECRET_WORDS and "PUBLIC" not in words
    return named_secret or variable.upper().endswith("_DATABASE_URL")


def secret_variables_of_service(name: str) -> set[str]:
    """The variables of the service ``name`` that are secrets, by name or by type."""
    fields: dict[str, Any] = {}
    for settings in (SETTINGS[name], *PROCESS_SETTINGS):
        fields |= _fields_read_by(settings)
    return {
        variable
        for variable, annotation in fields.items()
        if is_secret(variable) or _annotated_secret(annotation)
    }
