"""Strawberry types, one module per domain; GraphQL types stay separate from table rows."""
