"""``python -m examples.subscriber``: runs the example subscriber until Ctrl-C."""

from examples.subscriber.cli import main

main()
