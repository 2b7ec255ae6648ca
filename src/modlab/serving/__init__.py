"""The HTTP service (BentoML) and its API routes."""
