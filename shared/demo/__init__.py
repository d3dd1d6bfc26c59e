"""The Balikpapan scenario of the domain rules, played through the services' HTTP APIs:
``bapas demo`` narrates it against the running stack, and the end-to-end test plays
it against services started as real processes."""
