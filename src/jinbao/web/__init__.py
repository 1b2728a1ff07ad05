"""HTTP entry point: the FastAPI app factory, error mapping, and server-rendered pages."""
