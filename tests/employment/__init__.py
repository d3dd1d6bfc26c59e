"""Tests of the employment service through its HTTP API, against real Kafka and
PostgreSQL, with the enrolment service beside it for klien and their trainings."""
