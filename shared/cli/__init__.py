"""The ``bapas`` command: runs the local stack and the developer's everyday chores."""
