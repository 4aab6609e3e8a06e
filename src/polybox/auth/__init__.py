"""Admin accounts and credentials (services layer)."""
