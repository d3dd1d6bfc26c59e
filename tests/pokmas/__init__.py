"""Tests of the pokmas service through its HTTP API, against real Kafka and PostgreSQL."""
