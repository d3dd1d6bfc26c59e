"""The notifications service: tells PK officers, Bapas offices, Pokmas and subscribers."""
