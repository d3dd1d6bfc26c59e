"""The enrolment service: klien in integration, their training enrolments and outcomes."""
