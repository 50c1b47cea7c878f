"""Which browser origins may call the API: one answer for CORS (HTTP) and the WebSocket handshake.

`IAFACTORY_CORS_ORIGINS` lists them (comma-separated). Unset, development allows any
`http://localhost:PORT` and `http://127.0.0.1:PORT` (a dev server on another port) and
production allows none. `*` is refused: tokens travel in the Authorization header, so a
wildcard would only widen who can script the API with a user's token.

    >>> policy = OriginPolicy.parse("https://app.example.com, https://admin.example.com")
    >>> policy.allows("https://app.example.com"), policy.allows("https://evil.example")
    (True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

LOCAL_DEV_ORIGINS = r"http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?"


DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(origin: str) -> str | None:
    """`origin` as browsers send it (lowercase scheme and host, no default port), or None
    when it is not an origin. The same rule as Strawberry's WebSocket origin check, kept here
    so that settings (read by every process, workers included) need not import Strawberry."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def parse_origins(value: str) -> frozenset[str]:
    """The normalised origins of a comma-separated list; ValueError names a bad one."""
    origins: set[str] = set()
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        if part == "*":
            raise ValueError("'*' is not allowed: list each origin (scheme://host[:port])")
        parts = urlsplit(part)
        normalised = normalize_origin(part)
        extra = parts.path not in ("", "/") or parts.query or parts.fragment or parts.username
        if normalised is None or extra:
            raise ValueError(f"Invalid origin {part!r}: expected scheme://host[:port], no path")
        origins.add(normalised)
    return frozenset(origins)


@dataclass(frozen=True)
class OriginPolicy:
    origins: frozenset[str] = frozenset()
    # A full-match pattern for origins a list cannot enumerate (development's any port).
    pattern: str | None = None

    @classmethod
    def parse(cls, value: str) -> OriginPolicy:
        return cls(origins=parse_origins(value))

    @classmethod
    def from_setting(cls, value: str | None, *, production: bool) -> OriginPolicy:
        """The configured list; unset: local dev servers in development, nobody in production."""
        if value is not None:
            return cls.parse(value)
        return cls() if production else cls(pattern=LOCAL_DEV_ORIGINS)

    def allows(self, origin: str | None) -> bool:
        if not origin:
            return False
        normalised = normalize_origin(origin)
        if normalised is None:
            return False
        return normalised in self.origins or (
            self.pattern is not None and re.fullmatch(self.pattern, normalised) is not None
        )
