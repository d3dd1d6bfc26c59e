"""The ``bapas`` command's entry point: gathers the command groups."""

from __future__ import annotations

import logging

import typer

from shared.cli.contracts import contracts_app
from shared.cli.deadletters import deadletters_app
from shared.cli.demo import demo
from shared.cli.docs import docs_app
from shared.cli.outbox import outbox_app
from shared.cli.privacy import privacy_app
from shared.cli.projection import projection_app
from shared.cli.stack import stack_app, topics_app
from shared.cli.supervision import supervision_app
from shared.cli.tail import events_app
from shared.cli.token import token

app = typer.Typer(
    help="Bapas platform: the local stack, topics, tokens and projections.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def quiet_client_libraries() -> None:
    """The CLI speaks for itself: client libraries' connection retries stay quiet."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


app.add_typer(stack_app, name="stack")
app.add_typer(topics_app, name="topics")
app.add_typer(contracts_app, name="contracts")
app.add_typer(events_app, name="events")
app.add_typer(projection_app, name="projection")
app.add_typer(deadletters_app, name="deadletters")
app.add_typer(outbox_app, name="outbox")
app.add_typer(docs_app, name="docs")
app.add_typer(supervision_app, name="supervision")
app.add_typer(privacy_app, name="privacy")
app.command("token")(token)
app.command("demo")(demo)
