"""The WebSocket protocols' subscribe step, through the same persisted-document resolution as
HTTP: with trusted documents set, a WebSocket runs only them too (queries and mutations
travel over graphql-transport-ws as well as subscriptions), and a payload may name its text
by `documentId` or APQ hash. Registering a new APQ text happens over HTTP only."""

from __future__ import annotations

from typing import Any, cast

from graphql import GraphQLFormattedError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage, SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage as LegacyErrorMessage
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage

from iafactory.errors import AppError
from iafactory.protocol.params import Params
from iafactory.protocol.persisted import PersistedDocuments, namespace_of
from iafactory.schema.context import RequestContext


def resolved_payload(view: Any, context: RequestContext, payload: Any) -> dict[str, Any]:
    """The payload with `query` set to the text that runs; AppError when none may."""
    documents: PersistedDocuments = view.documents
    params = Params.from_mapping(payload)
    resolved = documents.resolve(params, namespace=namespace_of(context.principal))
    return {**payload, "query": resolved.query}


class TransportWSHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:  # else the protocol closes the socket (4401)
            try:
                message["payload"] = resolved_payload(  # type: ignore[typeddict-item]
                    self.view, self.context, message["payload"]
                )
            except AppError as error:
                entry = cast(GraphQLFormattedError, error.entry(self.context.request_id))
                await self.send_message(ErrorMessage(id=message["id"], type="error", payload=[entry]))
                return
        await super().handle_subscribe(message)


class LegacyWSHandler(BaseGraphQLWSHandler[RequestContext, None]):
    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged:
            try:
                message["payload"] = resolved_payload(  # type: ignore[typeddict-item]
                    self.view, self.context, message["payload"]
                )
            except AppError as error:
                entry = cast(GraphQLFormattedError, error.entry(self.context.request_id))
                await self.send_message(LegacyErrorMessage(id=message["id"], type="error", payload=entry))
                return
        await super().handle_start(message)
