"""Response diagnostics, off by default: `extensions.sqlStatements`, the number of SQL
statements one operation sent (IAFACTORY_EXPOSE_SQL_STATEMENT_COUNT=true).

It makes N+1 regressions testable end to end: the same query over 1 or 50 parents must
send the same number of statements. The count includes the statement that opens the tenant
transaction and excludes the COMMIT; 0 means the operation never touched the database.
"""

from __future__ import annotations

from typing import Any

from iafactory.resolvers.context import OperationContext


def sql_statements(operation: Any) -> dict[str, Any]:
    """{"sqlStatements": n} when the setting is on, else {} (nothing is added)."""
    if not isinstance(operation, OperationContext) or not operation.settings.expose_sql_statement_count:
        return {}
    # The handle is created lazily; reading the attribute must not create one.
    database = getattr(operation, "_db", None)
    return {"sqlStatements": database.statement_count if database is not None else 0}
