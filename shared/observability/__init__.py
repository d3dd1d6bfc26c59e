"""What operators see of a running service besides its API: its log lines and traces."""
