"""GraphQL schema: Strawberry types per domain, extensions, the view, build_schema()."""
