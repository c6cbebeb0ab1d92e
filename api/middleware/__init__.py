"""ASGI middleware of the API: limits that must act before a request body is parsed."""
