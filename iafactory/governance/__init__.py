"""Tenant governance: rate limits, quotas and usage, metrics, the per-tenant export.

runtime.py    the per-process bundle (`governance_of(services)`) the app and resolvers share
ratelimit.py  request budgets (per tenant by plan, per client address on sign-in) with `limits`
middleware.py the ASGI gate that spends them before GraphQL runs (HTTP and WebSocket subscribe)
metrics.py    Prometheus metrics with bounded tenant labels, and the /metrics endpoint
telemetry.py  the schema extension: one log line and the metrics of each operation
usage.py      quota and usage queries, API-call counting flushed to the monthly usage records
portability.py, export_format.md   the tenant export file: export, import, erase
exports.py    OWNERs' self-service export: signed short-lived download links
billing.py    monthly usage records for operators (`iafactory billing usage`)

Quotas themselves are enforced by the database (migrations/versions/0004_governance.py).
"""
