"""Tenant governance: rate limits, quotas and usage, metrics, the per-tenant export.

ratelimit.py    request budgets (per tenant by plan, per client address on sign-in) with `limits`;
                the tenant's is spent when an operation opens (schema/extensions.py)
metrics.py      Prometheus metrics with bounded tenant labels, and the /metrics endpoint
usage.py        API-call counts flushed to the monthly usage records
billing.py      monthly usage records for operators (`iafactory billing usage`)
catalog.py      the tenant tables, read from the live catalog
portability.py  the tenant export file (export_format.md): export and import
erasure.py      erasing every row of a tenant, with a receipt
operations.py   the operator commands (`iafactory tenant export|import|delete|quota`)
exports.py      OWNERs' self-service export: signed short-lived download links

Quotas themselves are enforced by the database (migrations/versions/0004_governance.py); the
fixed SQL of this package lives in db/queries/governance.py, and every transaction is opened
by db/scope.py. Nothing here imports the schema or the resolvers.
"""
