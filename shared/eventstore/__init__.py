"""The write side every service shares: aggregates, the event store with its
transactional outbox, and the relay that publishes the outbox to Kafka."""
