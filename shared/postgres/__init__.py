"""What every service needs from PostgreSQL: a pool sized for the machine, migrations."""
