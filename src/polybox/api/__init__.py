"""The admin REST API under /api (FastAPI): what the web UI and scripts use to govern polybox."""
