"""The HTTP edge: FastAPI routes over models/ operations, for the mobile apps and integrations."""
