"""The earlier REST version's routes (`/api/*`, shared/SEED_CALLS.md), as thin adapters: each
runs a GraphQL document through the same schema (same transaction, audit, rate limits and
quotas as /graphql) and reshapes the answer the way the seed's clients read it."""
