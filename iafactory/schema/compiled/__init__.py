"""The compiled read path: a validated query over the tenant's tables becomes ONE SQL
statement whose single text value is the response's `data`, byte for byte what the general
(per-field) path would have answered.

    catalog.py    GraphQL types and fields -> tables, columns and relations (db/models.py)
    selection.py  which fields a selection set asks for (fragments, aliases, @skip/@include)
    compiler.py   a validated operation -> a plan (an IR tree and its parameter slots)
    jsontext.py   SQL that spells JSON text exactly as Strawberry serializes it
    render.py     the plan's IR -> the SQL statement, per pattern of null parameters
    binding.py    a request's variables and caller -> the statement's parameters
    plans.py      Plan, the bounded plan cache, and the extension that fills it
    endpoint.py   the view's fast path: a cached plan answered in one round trip (or three)

A plan exists only for a document that has already passed parsing, validation and the
complexity limits on the general path (plans.PlanRecorder records it there). Whatever a plan
cannot answer exactly (an unusual variable, a bad cursor, a caller the database refuses, a
rate limit) goes back to the general path, which then answers as it always has.
"""
