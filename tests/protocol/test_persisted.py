"""Persisted documents without a server: the APQ store's bound and namespaces, the trusted
manifests' two formats, and how a request's text is resolved (nothing here parses GraphQL)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iafactory.auth.principal import Principal, Role
from iafactory.errors import BadUserInput, PersistedQueryNotAllowed, PersistedQueryNotFound
from iafactory.protocol.negotiation import MalformedRequest
from iafactory.protocol.params import Params
from iafactory.protocol.persisted import (
    CONSOLE_MANIFEST,
    MAX_STORED_DOCUMENT_BYTES,
    DocumentStore,
    PersistedDocuments,
    TrustedDocuments,
    namespace_of,
    parse_manifest,
)

TEXT = "{ health { status } }"
DIGEST = hashlib.sha256(TEXT.encode()).hexdigest()


def request(query: str | None = None, digest: str | None = None, document_id: str | None = None) -> Params:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}} if digest else None
    return Params(query, None, None, extensions, document_id)


def principal(tenant: uuid.UUID | None) -> Principal:
    return Principal(uuid.uuid4(), tenant, Role.OWNER if tenant else None, False, datetime.now(UTC), "jti")


# --- the store -------------------------------------------------------------------------------


def test_the_store_holds_at_most_its_size_least_recently_used_out() -> None:
    store = DocumentStore(2)
    store.put("t", "a", "A")
    store.put("t", "b", "B")
    assert store.get("t", "a") == "A"  # b is now the least recently used
    store.put("t", "c", "C")
    assert (len(store), store.get("t", "b"), store.get("t", "a"), store.get("t", "c")) == (2, None, "A", "C")


def test_the_bound_is_for_all_namespaces_together() -> None:
    store = DocumentStore(3)
    for tenant in range(10):
        store.put(f"tenant:{tenant}", "same", "text")
    assert len(store) == 3


def test_a_document_over_the_size_limit_runs_but_is_not_kept() -> None:
    store = DocumentStore(10)
    store.put("t", "big", "x" * (MAX_STORED_DOCUMENT_BYTES + 1))
    assert store.get("t", "big") is None


def test_namespaces_are_the_tenant_else_the_user_else_one_for_anonymous_callers() -> None:
    tenant = uuid.uuid4()
    assert namespace_of(principal(tenant)) == f"tenant:{tenant}"
    tenantless = principal(None)
    assert namespace_of(tenantless) == f"user:{tenantless.user_id}"
    assert namespace_of(None) == "anonymous"


# --- automatic persisted queries ---------------------------------------------------------------


def test_a_hash_alone_is_not_found_until_registered_in_that_namespace() -> None:
    documents = PersistedDocuments(cache_size=10)
    with pytest.raises(PersistedQueryNotFound):
        documents.resolve(request(digest=DIGEST), namespace="tenant:a")
    documents.register(documents.resolve(request(TEXT, DIGEST), namespace="tenant:a"))
    assert documents.resolve(request(digest=DIGEST), namespace="tenant:a").query == TEXT
    with pytest.raises(PersistedQueryNotFound):
        documents.resolve(request(digest=DIGEST), namespace="tenant:b")


def test_a_registration_is_kept_only_when_the_view_says_the_text_ran() -> None:
    documents = PersistedDocuments(cache_size=10)
    documents.resolve(request(TEXT, DIGEST), namespace="anonymous")  # resolved, never registered
    assert len(documents.store) == 0


def test_a_hash_that_is_not_the_texts_is_bad_user_input() -> None:
    with pytest.raises(BadUserInput):
        PersistedDocuments(cache_size=10).resolve(request(TEXT + " ", DIGEST), namespace="anonymous")


def test_a_document_id_and_a_query_together_are_not_well_formed() -> None:
    with pytest.raises(MalformedRequest):
        PersistedDocuments(cache_size=10).resolve(request(TEXT, document_id=DIGEST), namespace="anonymous")


@pytest.mark.parametrize("query", [None, ""])
def test_no_usable_query_is_not_well_formed(query: str | None) -> None:
    with pytest.raises(MalformedRequest):
        PersistedDocuments(cache_size=10).resolve(request(query), namespace="anonymous")


# --- trusted documents --------------------------------------------------------------------------


def test_both_manifest_formats_read_as_id_to_text() -> None:
    codegen = {DIGEST: TEXT}
    apollo = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": "x", "body": TEXT}],
    }
    assert parse_manifest(json.dumps(codegen)) == {DIGEST: TEXT}
    assert parse_manifest(json.dumps(apollo)) == {"x": TEXT}


@pytest.mark.parametrize("content", ["[]", '{"a": 1}', '{"operations": [{"id": "x"}]}', "not json"])
def test_a_malformed_manifest_is_refused(content: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_manifest(content)


def test_console_names_the_web_consoles_own_manifest_and_files_add_to_it(tmp_path: Path) -> None:
    extra = tmp_path / "mobile.json"
    extra.write_text(json.dumps({"mobile-1": TEXT}))
    trusted = TrustedDocuments.load(f"console, {extra}")
    assert len(trusted) == len(json.loads(CONSOLE_MANIFEST.read_text())) + 1
    assert trusted.named("mobile-1") == TEXT


def test_a_missing_manifest_file_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"nowhere\.json"):
        TrustedDocuments.load(str(tmp_path / "nowhere.json"))


@pytest.fixture
def trusted_only() -> PersistedDocuments:
    return PersistedDocuments(cache_size=10, trusted=TrustedDocuments({"listed": TEXT}))


@pytest.mark.parametrize(
    "params",
    [
        request(TEXT),
        request(digest=DIGEST),
        request(document_id="listed"),
        request(document_id=f"sha256:{DIGEST}"),
    ],
    ids=["exact text", "APQ hash", "manifest id", "prefixed hash"],
)
def test_a_listed_document_resolves_to_its_text(trusted_only: PersistedDocuments, params: Params) -> None:
    assert trusted_only.resolve(params, namespace="anonymous").query == TEXT


@pytest.mark.parametrize(
    "params",
    [
        request("{ this is not even GraphQL"),
        request(digest="0" * 64),
        request(document_id="unknown"),
        request("{ me { role } }", hashlib.sha256(b"{ me { role } }").hexdigest()),
    ],
    ids=["unlisted text", "unknown hash", "unknown id", "APQ registration"],
)
def test_anything_else_is_not_allowed(trusted_only: PersistedDocuments, params: Params) -> None:
    with pytest.raises(PersistedQueryNotAllowed):
        trusted_only.resolve(params, namespace="anonymous")


def test_every_text_the_console_sends_is_allowed_under_the_console_setting() -> None:
    # The console posts its /* GraphQL */ literals verbatim (scripts/trusted_documents.py).
    documents = PersistedDocuments(cache_size=10, trusted=TrustedDocuments.load("console"))
    for text in json.loads(CONSOLE_MANIFEST.read_text()).values():
        assert documents.resolve(request(text), namespace="anonymous").query == text
