"""The tool forge: servers, tools and their versions, approvals, secrets, requests and logs.

Services hold the rules. Each function takes an `AsyncSession` (opened by `unit.transaction`) and
the `Actor` doing the work, and returns the pydantic schemas of `schemas.py`, never ORM rows.
"""
