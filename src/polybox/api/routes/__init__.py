"""The API's routers, one module per resource; `ROUTERS` is what `create_api` includes."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
