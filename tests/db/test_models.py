"""The SQLModel models describe the live tables: same names, same columns."""

from __future__ import annotations

import pytest

from iafactory.db.models import GRAPHQL_TABLES
from tests.support.database import superuser


@pytest.mark.parametrize("model", sorted(set(GRAPHQL_TABLES.values()), key=lambda m: m.__name__))
async def test_each_model_has_exactly_the_columns_of_its_table(database_url: str, model: type) -> None:
    async with superuser(database_url) as connection:
        columns = await connection.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = $1",
            model.__tablename__,
        )
    in_catalog = {row["column_name"] for row in columns}
    in_model = set(model.model_fields)
    assert in_model == in_catalog, f"{model.__tablename__}: model {in_model ^ in_catalog} differ"
