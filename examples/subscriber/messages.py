"""How FastStream sees one record: named after the request it belongs to.

Every envelope carries the ``correlation_id`` of the request or workflow that caused
the event. FastStream would look for it in a ``correlation_id`` header, which the
platform does not send, and invent one. This parser takes it from the envelope
instead, for the records the subscriber reads (the others are skipped on their headers
and never parsed). FastStream names a message in its log lines by its message id, and
a message's id defaults to its correlation id: the log lines of one klien's enrolment
and what followed from it then share the same name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeAlias

from aiokafka import ConsumerRecord
from faststream.message import StreamMessage

from examples.subscriber.reader import correlation_id_of, wanted

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
Message: TypeAlias = "StreamMessage[Record]"


async def parse_record(record: Record, parse: Callable[[Record], Awaitable[Message]]) -> Message:
    """FastStream's own parsing, with the envelope's correlation id when it has one."""
    message = await parse(record)
    correlation_id = correlation_id_of(record.value) if wanted(record.headers) else None
    if correlation_id is not None:
        message.correlation_id = message.message_id = correlation_id
    return message


def is_wanted(message: Message) -> bool:
    """FastStream's filter of the handler of events this subscriber may read."""
    return wanted(message.raw_message.headers)
