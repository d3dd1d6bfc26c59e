"""Helpers the tests share: where the real Kafka and PostgreSQL are, and fresh
databases and topics for each test."""
