"""GraphQL over HTTP as the specification and Apollo's clients speak it, without Strawberry:
which media type and status an answer gets (negotiation.py), what a request must carry to be
well-formed (params.py), and persisted documents, automatic or trusted (persisted.py).

The view (schema/view.py) and the middleware in front of it (middleware.py) both answer
through negotiation.py, so /graphql has one status map whoever refuses a request.
"""
