"""An example subscriber to the platform's events, written as another team would write it.

It uses FastStream (over aiokafka) and the standard library, none of the platform's
code: it reads the JSON envelope of ``docs/events.md`` itself, handles the few event
versions it knows, ignores everything else, and deduplicates on ``event_id``.
``docs/subscribing.md`` explains it; run it with ``uv run python -m examples.subscriber
--help``.
"""
