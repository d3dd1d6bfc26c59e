"""The local development stack: Apache Kafka from Maven jars and embedded PostgreSQL.

It exists because this project runs over the real broker and the real database on
machines without a Docker engine; ``bapas stack`` and the test fixtures drive it.
"""
