"""The knowledge base's text processing: chunking, language detection, query parsing.

Pure Python, no database and no GraphQL: db/queries/documents.py and db/queries/search.py
call into it.
"""
