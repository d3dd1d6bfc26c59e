"""What every service and tool needs from Kafka: topic names, topic creation, probes."""
