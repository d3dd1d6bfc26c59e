"""Property-based runs over every operation of every service's OpenAPI document, with the
token of every role (the quality bars, security and bad input)."""
