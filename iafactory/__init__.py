"""IAFactory: a multi-tenant GraphQL platform for AI workloads."""

__version__ = "0.1.0"
