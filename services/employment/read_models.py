"""Keeps the employer, vacancy and placement tables in step with the service's own events.

The unit of work writes each event's statement with the event (in the same statement
when a save has one event), so a GET right after a command's 201 already shows the
change, and the placement rules count what is committed with the events: a vacancy's
``placed`` grows with each ClientPlaced that names it, and its ``status`` turns
``filled`` with the placement that takes its last position. Each event maps to its
change here and nowhere else; a rebuild replays the event store through the same
function.
"""

from __future__ import annotations

from services.employment.domain import PlacementStatus, VacancyStatus
from shared.events.employment import (
    ClientPlaced,
    EmployerPledged,
    EmployerRegistered,
    PlacementChecked,
    PlacementEnded,
    VacancyClosed,
    VacancyPosted,
)
from shared.events.envelope import Envelope, EventPayload
from shared.eventstore.read_models import OwnReadModels, ReadModelChange
from shared.postgres.statements import Statement


def read_model_update(event: Envelope[EventPayload]) -> ReadModelChange:
    """The statements that bring the employer, vacancy or placement tables up to ``event``."""
    version = event.aggregate_version
    match event.payload:
        case EmployerRegistered() as registered:
            return Statement(
                "INSERT INTO employers (employer_id, bapas_code, name, sector, address,"
                " contact_name, contact_phone, contact_email, skills, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                registered.employer_id,
                event.bapas_code,
                registered.name,
                registered.sector,
                registered.address,
                registered.contact.name,
                registered.contact.phone,
                registered.contact.email,
                list(registered.skills),
                version,
            )
        case EmployerPledged(employer_id=employer_id, signed_on=signed_on):
            return Statement(
                "UPDATE employers SET pledged_on = $2, version = $3 WHERE employer_id = $1",
                employer_id,
                signed_on,
                version,
            )
        case VacancyPosted() as posted:
            return Statement(
                "INSERT INTO vacancies (vacancy_id, employer_id, bapas_code, title, skill,"
                " positions, opens_on, closes_on, status, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                posted.vacancy_id,
                posted.employer_id,
                event.bapas_code,
                posted.title,
                posted.skill,
                posted.positions,
                posted.opens_on,
                posted.closes_on,
                VacancyStatus.OPEN.value,
                version,
            )
        case VacancyClosed(vacancy_id=vacancy_id, closed_on=closed_on, reason=reason):
            return Statement(
                "UPDATE vacancies SET status = $2, closed_on = $3, closure_reason = $4,"
                " version = $5 WHERE vacancy_id = $1",
                vacancy_id,
                VacancyStatus.CLOSED.value,
                closed_on,
                reason,
                version,
            )
        case ClientPlaced() as placed:
            inserted = Statement(
                "INSERT INTO placements (placement_id, bapas_code, client_id, employer_id,"
                " vacancy_id, started_on, kind, skill, status, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                placed.placement_id,
                event.bapas_code,
                placed.client_id,
                placed.employer_id,
                placed.vacancy_id,
                placed.started_on,
                placed.kind.value,
                placed.skill,
                PlacementStatus.ACTIVE.value,
                version,
            )
            if placed.vacancy_id is None:
                return inserted
            # The placement that takes the vacancy's last position fills it.
            return inserted, Statement(
                "UPDATE vacancies SET placed = placed + 1,"
                " status = CASE WHEN status = $2 AND placed + 1 >= positions THEN $3"
                " ELSE status END WHERE vacancy_id = $1",
                placed.vacancy_id,
                VacancyStatus.OPEN.value,
                VacancyStatus.FILLED.value,
            )
        case PlacementChecked() as checked:
            # The milestone names one of two pairs of columns; it is an enum, not input.
            milestone = checked.milestone.value
            return Statement(
                f"UPDATE placements SET {milestone}_checked_on = $2, {milestone}_employed = $3,"
                " version = $4 WHERE placement_id = $1",
                checked.placement_id,
                checked.checked_on,
                checked.still_employed,
                version,
            )
        case PlacementEnded(placement_id=placement_id, ended_on=ended_on, reason=reason):
            return Statement(
                "UPDATE placements SET status = $2, ended_on = $3, end_reason = $4,"
                " version = $5 WHERE placement_id = $1",
                placement_id,
                PlacementStatus.ENDED.value,
                ended_on,
                reason.value,
                version,
            )
        case _:
            raise TypeError(f"the employment read models do not know {event.event_type}")


OWN_READ_MODELS = OwnReadModels(
    update=read_model_update, tables=("employers", "vacancies", "placements")
)
