"""Tenant governance: rate limits, quotas and usage, metrics, the per-tenant export.

runtime.py      the per-process bundle (`governance_of(services)`) the app and resolvers share
ratelimit.py    request budgets (per tenant by plan, per client address on sign-in) with `limits`
middleware.py   the ASGI gate that spends them before GraphQL runs (HTTP and WebSocket subscribe)
metrics.py      Prometheus metrics with bounded tenant labels, and the /metrics endpoint
telemetry.py    the schema extension: one log line and the metrics of each operation
usage.py        the `usage` query, and API-call counts flushed to the monthly usage records
billing.py      monthly usage records for operators (`iafactory billing usage`)
catalog.py      the tenant tables, read from the live catalog
portability.py  the tenant export file (export_format.md): export and import
erasure.py      erasing every row of a tenant, with a receipt
operations.py   the operator commands (`iafactory tenant export|import|delete|quota`)
exports.py      OWNERs' self-service export: signed short-lived download links

Quotas themselves are enforced by the database (migrations/versions/0004_governance.py).
"""
