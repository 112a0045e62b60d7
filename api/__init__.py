"""The HTTP API: thin FastAPI routes over the knowledge base."""
