"""Persisted documents: Apollo's automatic persisted queries (APQ) and trusted documents.

APQ: a client sends `extensions.persistedQuery.sha256Hash` alone; an unknown hash answers
PERSISTED_QUERY_NOT_FOUND, and the client sends the text with its hash once, which registers
it. The store is keyed by (namespace, hash), the namespace being the caller's tenant: a
registered text may carry literal values, so no tenant may learn whether another has sent a
given text. It is bounded in documents and in the size of each, least recently used out.

Trusted documents (IAFACTORY_TRUSTED_DOCUMENTS): the only texts that run, named by
`documentId`, by APQ hash or sent verbatim; anything else is refused before it is parsed.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from iafactory.auth.principal import Principal
from iafactory.errors import BadUserInput, PersistedQueryNotAllowed, PersistedQueryNotFound
from iafactory.protocol.negotiation import MalformedRequest
from iafactory.protocol.params import Params

# The manifest of the web console's own operations (scripts/trusted_documents.py writes it).
CONSOLE_MANIFEST = Path(__file__).resolve().parents[1] / "web" / "trusted-documents.json"
CONSOLE = "console"
# Larger texts still run, they are just not kept: the store holds at most size x this.
MAX_STORED_DOCUMENT_BYTES = 64 * 1024
ANONYMOUS = "anonymous"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def namespace_of(principal: Principal | None) -> str:
    """The caller's APQ namespace: its tenant; a signed-in caller without a tenant (a
    super-admin's token) its own; everyone anonymous shares one."""
    if principal is None:
        return ANONYMOUS
    if principal.tenant_id is not None:
        return f"tenant:{principal.tenant_id}"
    return f"user:{principal.user_id}"


class DocumentStore:
    """APQ's registered documents, (namespace, sha256) -> text, least recently used out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._documents: OrderedDict[tuple[str, str], str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._documents)

    def get(self, namespace: str, digest: str) -> str | None:
        key = (namespace, digest)
        text = self._documents.get(key)
        if text is not None:
            self._documents.move_to_end(key)
        return text

    def put(self, namespace: str, digest: str, text: str) -> None:
        if len(text.encode()) > MAX_STORED_DOCUMENT_BYTES:
            return
        self._documents[(namespace, digest)] = text
        self._documents.move_to_end((namespace, digest))
        while len(self._documents) > self.size:
            self._documents.popitem(last=False)


class TrustedDocuments:
    """The deployment's allow-list: manifest ids and the SHA-256 of each text name a text."""

    def __init__(self, by_id: Mapping[str, str]) -> None:
        self._by_id = dict(by_id)
        self._by_hash = {sha256_hex(text): text for text in by_id.values()}

    def __len__(self) -> int:
        return len(self._by_hash)

    @classmethod
    def load(cls, setting: str) -> TrustedDocuments:
        """From IAFACTORY_TRUSTED_DOCUMENTS: comma-separated manifest files, `console` naming
        the web console's own. ValueError names a file that is missing or not a manifest."""
        by_id: dict[str, str] = {}
        for name in (part.strip() for part in setting.split(",")):
            if name:
                path = CONSOLE_MANIFEST if name == CONSOLE else Path(name)
                try:
                    by_id.update(parse_manifest(path.read_text(encoding="utf-8")))
                except (OSError, ValueError) as error:
                    raise ValueError(f"IAFACTORY_TRUSTED_DOCUMENTS: {path}: {error}") from error
        if not by_id:
            raise ValueError("IAFACTORY_TRUSTED_DOCUMENTS names no document")
        return cls(by_id)

    def named(self, document_id: str) -> str | None:
        """The text a `documentId` (a manifest id, `sha256:<hash>` or a bare hash) names."""
        text = self._by_id.get(document_id)
        if text is None:
            digest = document_id.removeprefix("sha256:").lower()
            text = self._by_id.get(digest) or self._by_hash.get(digest)
        return text

    def hashed(self, digest: str) -> str | None:
        return self._by_hash.get(digest)

    def allows(self, text: str) -> bool:
        return self._by_hash.get(sha256_hex(text)) == text


def parse_manifest(content: str) -> dict[str, str]:
    """Both manifest formats, as {id: text}: GraphQL Code Generator's client preset
    `{"<sha256>": "<document>"}` and Apollo's persisted query manifest
    `{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body", ...}]}`."""
    data = json.loads(content)
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        pairs: Iterable[tuple[object, object]] = (
            (operation.get("id"), operation.get("body")) if isinstance(operation, dict) else (None, None)
            for operation in data["operations"]
        )
    elif isinstance(data, dict):
        pairs = data.items()
    else:
        raise ValueError("expected a JSON object")
    documents = {}
    for key, text in pairs:
        if not isinstance(key, str) or not isinstance(text, str) or not text.strip():
            raise ValueError("every entry needs a string id and a non-empty document")
        documents[key] = text
    return documents


@dataclass(frozen=True, slots=True)
class Resolved:
    """The text to run, and the APQ key to register it under once it has run."""

    query: str
    register: tuple[str, str] | None = None


class PersistedDocuments:
    """Turns a request's query / documentId / persisted-query hash into the text that runs."""

    def __init__(self, *, cache_size: int, trusted: TrustedDocuments | None = None) -> None:
        self.store = DocumentStore(cache_size)
        self.trusted = trusted

    def resolve(self, params: Params, *, namespace: str) -> Resolved:
        """PERSISTED_QUERY_NOT_FOUND for an unknown hash, PERSISTED_QUERY_NOT_ALLOWED for
        anything outside the trusted documents (when set), BAD_USER_INPUT for a hash that
        is not its text's; all before anything is parsed."""
        digest = params.persisted_query_hash()
        if params.document_id is not None:
            if params.query is not None or digest is not None:
                raise MalformedRequest("Send a documentId or a query, not both.")
            return Resolved(self._named(params.document_id, namespace))
        if digest is not None and params.query is None:
            return Resolved(self._hashed(digest, namespace))
        if not params.query:
            raise MalformedRequest("No GraphQL query found in the request.")
        if digest is not None and sha256_hex(params.query) != digest:
            raise BadUserInput("extensions.persistedQuery.sha256Hash is not the SHA-256 of the query.")
        if self.trusted is not None:
            if not self.trusted.allows(params.query):
                raise PersistedQueryNotAllowed()
            return Resolved(params.query)  # already persisted: nothing to register
        return Resolved(params.query, (namespace, digest) if digest is not None else None)

    def register(self, resolved: Resolved) -> None:
        """Keeps a registration once its text has run (a text that fails to parse or validate
        never takes a place in the store)."""
        if resolved.register is not None:
            self.store.put(*resolved.register, resolved.query)

    def _named(self, document_id: str, namespace: str) -> str:
        if self.trusted is not None:
            text = self.trusted.named(document_id)
            if text is None:
                raise PersistedQueryNotAllowed()
            return text
        return self._hashed(document_id.removeprefix("sha256:").lower(), namespace)

    def _hashed(self, digest: str, namespace: str) -> str:
        if self.trusted is not None:
            text = self.trusted.hashed(digest)
            if text is None:
                raise PersistedQueryNotAllowed()
            return text
        text = self.store.get(namespace, digest)
        if text is None:
            raise PersistedQueryNotFound()
        return text
