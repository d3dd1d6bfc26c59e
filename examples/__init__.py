"""Examples for other teams: how to use the platform from outside it (see docs/)."""
