"""What a GraphQL-over-HTTP request carries, checked for shape: a request whose parameters
have the wrong JSON types is not well-formed (400 whatever the media type)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from iafactory.protocol.negotiation import MalformedRequest

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Params:
    """`query`, `variables`, `operationName` and `extensions` (the specification's), and the
    persisted-documents appendix's `documentId`."""

    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    document_id: str | None

    @classmethod
    def from_mapping(cls, data: object) -> Params:
        """From a POST body, the GET parameters (JSON already decoded) or a WebSocket payload.

        >>> Params.from_mapping({"query": "{ health { status } }", "variables": None}).query
        '{ health { status } }'
        """
        if not isinstance(data, dict):
            raise MalformedRequest("A GraphQL request is one JSON object (batching is not enabled).")
        return cls(
            query=_typed(data, "query", str),
            variables=_typed(data, "variables", dict),
            operation_name=_typed(data, "operationName", str),
            extensions=_typed(data, "extensions", dict),
            document_id=_typed(data, "documentId", str),
        )

    def persisted_query_hash(self) -> str | None:
        """Apollo's `extensions.persistedQuery.sha256Hash` (lower-case hex), or None.

        >>> extensions = {"persistedQuery": {"version": 1, "sha256Hash": "AB" * 32}}
        >>> Params(None, None, None, extensions, None).persisted_query_hash() == "ab" * 32
        True
        """
        persisted = (self.extensions or {}).get("persistedQuery")
        if persisted is None:
            return None
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise MalformedRequest("extensions.persistedQuery must be {version: 1, sha256Hash}.")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not SHA256_HEX.match(digest.lower()):
            raise MalformedRequest("extensions.persistedQuery.sha256Hash must be a SHA-256 in hex.")
        return digest.lower()


def _typed(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and not isinstance(value, kind):
        expected = "a string" if kind is str else "an object"
        raise MalformedRequest(f"The request's `{name}` must be {expected} or null.")
    return value
