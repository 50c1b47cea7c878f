"""The house's shape, checked: imports flow one way, and only db/scope.py switches roles.

The lower layers (db, auth, voice, knowledge, governance) never import the GraphQL layer
(schema, resolvers); no module imports itself back through others; and the role switch,
the security boundary, is written in exactly one module.
"""

from __future__ import annotations

import re
from pathlib import Path

import grimp
import pytest
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "iafactory"
ROLE_SWITCH = re.compile(r"SET\s+(LOCAL\s+)?ROLE|set_config\(\s*'role'", re.IGNORECASE)
THE_ONE_PLACE = PACKAGE / "db" / "scope.py"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # Imports under `if TYPE_CHECKING:` never run, so they cannot make a cycle.
    return grimp.build_graph("iafactory", exclude_type_checking_imports=True)


def test_the_import_contracts_in_pyproject_hold() -> None:
    status = lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == EXIT_STATUS_SUCCESS, (
        "an import breaks a contract of [tool.importlinter] (run `lint-imports` to see which)"
    )


@pytest.mark.parametrize("lower", ["db", "auth", "voice", "knowledge", "governance", "protocol"])
def test_lower_layers_import_nothing_from_the_graphql_layer(graph: grimp.ImportGraph, lower: str) -> None:
    for upper in ("schema", "resolvers"):
        chain = graph.find_shortest_chain(
            importer=f"iafactory.{lower}", imported=f"iafactory.{upper}", as_packages=True
        )
        assert chain is None, f"iafactory.{lower} reaches iafactory.{upper}: {' -> '.join(chain or ())}"


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append(" -> ".join((importer, *back)))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_only_db_scope_switches_the_database_role() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != THE_ONE_PLACE
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ROLE_SWITCH.search(line)
    ]
    assert not offenders, "a role switch outside iafactory/db/scope.py:\n" + "\n".join(offenders)


def test_the_role_switch_check_recognises_every_spelling() -> None:
    for spelling in ("SET LOCAL ROLE x", "set role x", "SELECT set_config('role', 'x', true)"):
        assert ROLE_SWITCH.search(spelling), spelling
