"""``bapas stack`` and ``bapas topics``: start, stop and inspect the local stack."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from aiokafka.errors import KafkaError

from shared.cli.console import (
    console,
    kafka_does_not_answer,
    kafka_of_the_environment,
    reports_stack_errors,
)
from shared.kafka.probe import KafkaUnavailable
from shared.kafka.topics import create_topics
from shared.stack.errors import StackError
from shared.stack.kafka import fetch_kafka_jars, stop_every_node
from shared.stack.local import LocalStack
from shared.stack.services import (
    MAX_KAFKA_NODES,
    ServiceRunner,
    mail_port,
    running_local_stack,
)

stack_app = typer.Typer(help="The local stack: Kafka, PostgreSQL and the five services.")
topics_app = typer.Typer(help="The event topics of the contract.")


@stack_app.command("up")
@reports_stack_errors
def stack_up(
    kafka_nodes: Annotated[
        int, typer.Option(min=1, max=MAX_KAFKA_NODES, help="Kafka nodes (3: a cluster).")
    ] = 1,
    with_services: Annotated[bool, typer.Option(help="Also start the services.")] = False,
) -> None:
    """Start Kafka and PostgreSQL (fetching Kafka's jars the first time), create the
    service databases and the topics; with --with-services, the services too, on the
    ports their settings name (``POKMAS_PORT`` …), given the cluster's brokers."""
    stack = LocalStack.from_environment(kafka_nodes)
    _refuse_another_running_cluster(stack)
    with console.status("Fetching Kafka's jars with Maven (first run only)…"):
        fetch_kafka_jars(stack.paths)
    with console.status(f"Starting {kafka_nodes} Kafka node(s)…"):
        stack.kafka.start()
    with console.status("Starting PostgreSQL…"):
        stack.postgres.start()
        asyncio.run(stack.postgres.create_databases())
    console.print(f"[green]✓[/] PostgreSQL on 127.0.0.1:{stack.postgres.port}")
    with console.status("Waiting for Kafka to answer…"):
        try:
            asyncio.run(stack.wait_for_kafka())
        except KafkaUnavailable as error:
            raise StackError(f"{error}; see {stack.paths.logs}/kafka-*.log") from None
    console.print(f"[green]✓[/] Kafka at {stack.bootstrap_servers}")
    with console.status("Creating topics…"):
        created = asyncio.run(stack.create_topics())
    console.print(f"[green]✓[/] topics: {', '.join(t.topic for t in created)}")
    if with_services:
        runner = ServiceRunner(stack)
        with console.status("Starting the services…"):
            runner.start()
            asyncio.run(runner.wait_ready())
        for service in runner.services:
            console.print(
                f"[green]✓[/] {service.name:<14} {service.url}   docs: {service.url}/docs"
            )
        console.print(
            f"[green]✓[/] mail (SMTP)    127.0.0.1:{mail_port()}   kept in {runner.mail_folder}"
        )
        console.print(f"  logs under {stack.paths.logs}")


def _refuse_another_running_cluster(stack: LocalStack) -> None:
    """One cluster at a time: the services already running stay on the cluster they
    were given, so a second cluster beside it would never see their events."""
    running = running_local_stack()
    if running.kafka.running_nodes() and running.kafka.cluster != stack.kafka.cluster:
        size = running.kafka.cluster.size
        raise StackError(
            f"the stack already runs Kafka as {size} node(s) at {running.bootstrap_servers}: "
            f"stop it first (`make down`), or keep it (`make up KAFKA_NODES={size}`)"
        )


@stack_app.command("down")
@reports_stack_errors
def stack_down() -> None:
    """Stop the services, every Kafka node and PostgreSQL started by ``stack up``."""
    stack = LocalStack.from_environment()
    for name in ServiceRunner(stack).stop():
        console.print(f"[green]✓[/] stopped the {name} service")
    if stopped := stop_every_node(stack.paths):
        console.print(f"[green]✓[/] stopped Kafka ({stopped} node(s))")
    if stack.postgres.stop():
        console.print("[green]✓[/] stopped PostgreSQL")
    console.print("the stack is down")


@stack_app.command("status")
def stack_status() -> None:
    """Print the Kafka and PostgreSQL versions the stack answers with (the Kafka
    cluster ``stack up`` started: one node, or all the nodes of a cluster)."""
    status = asyncio.run(running_local_stack().status())
    console.print(f"Kafka:      {status.kafka}")
    console.print(f"PostgreSQL: {status.postgres}")


@topics_app.command("create")
@reports_stack_errors
def topics_create() -> None:
    """Create the event topics (12 partitions, kept forever) and the dead-letter topic,
    on ``KAFKA_BOOTSTRAP_SERVERS`` or else the local stack."""
    kafka = kafka_of_the_environment()
    try:
        created = asyncio.run(create_topics(kafka))
    except (KafkaError, OSError) as error:
        raise StackError(kafka_does_not_answer(kafka, error)) from None
    for topic in created:
        console.print(f"{topic.topic}: {'created' if topic.created else 'already there'}")
