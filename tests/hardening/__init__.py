"""Bad input sent to the real services (issue 14): control characters, blank texts, deep
nesting, oversized bodies, implausible dates, odd cursors and the status codes of the API
contract."""
