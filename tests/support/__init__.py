"""What the test suites and the benchmarks share, one module per job:

- `database`: the PostgreSQL cluster a run uses, a scratch database per run, and the one way
  to run SQL as the superuser (an operator at the psql prompt: row-level security aside);
- `server`: a real `iafactory serve` (or `iafactory worker`) process on a free port;
- `graphql`: a GraphQL client over real HTTP, and registering a tenant through it;
- `upload`: the GraphQL multipart request (a file in `variables.file`).

Conftests build their fixtures from these; tests and `bench/` import them directly (never a
conftest).
"""
