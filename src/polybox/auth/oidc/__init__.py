"""Upstream OpenID Connect sign-in for the OAuth consent step (services layer)."""
