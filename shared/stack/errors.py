"""The one error type the stack raises, so the CLI can print it without a traceback."""


class StackError(RuntimeError):
    """Something the person running the stack can act on: the message says what."""
