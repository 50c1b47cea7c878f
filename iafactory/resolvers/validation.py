"""Input checks shared by resolvers: each failure is a BAD_USER_INPUT with a clear message."""

from __future__ import annotations

import re
import secrets
import unicodedata
from uuid import UUID

from iafactory.errors import BadUserInput

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
REGION = re.compile(r"^[A-Z]{2}$")


def email(value: str) -> str:
    """The address, stripped. Its case is the database's business (app.normalize_email): one
    normalisation, so an address is the same account wherever it is typed."""
    stripped = value.strip()
    if len(stripped) > 254 or not EMAIL.match(stripped):
        raise BadUserInput("This is not a valid email address.")
    return stripped


def name(value: str, *, what: str, maximum: int = 200) -> str:
    stripped = value.strip()
    if not stripped:
        raise BadUserInput(f"The {what} must not be empty.")
    if len(stripped) > maximum:
        raise BadUserInput(f"The {what} must be at most {maximum} characters.")
    return stripped


def optional_text(value: str | None, *, what: str, maximum: int) -> str | None:
    if value is None:
        return None
    if len(value) > maximum:
        raise BadUserInput(f"The {what} must be at most {maximum} characters.")
    return value


def slug(value: str) -> str:
    if not SLUG.match(value):
        raise BadUserInput(
            "A slug is 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen."
        )
    return value


def slug_from(text: str) -> str:
    """A readable slug for a name, with a random suffix so it is (almost surely) free."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:50].strip("-") or "workspace"
    return f"{base}-{secrets.token_hex(3)}"


def region(value: str | None) -> str:
    normalised = (value or "DZ").strip().upper()
    if not REGION.match(normalised):
        raise BadUserInput("The region must be a two-letter country code, such as DZ.")
    return normalised


def parse_id(value: str, *, what: str = "id") -> UUID:
    """A client-supplied ID as a UUID, or BAD_USER_INPUT (never reaching SQL malformed)."""
    try:
        return UUID(str(value))
    except (ValueError, TypeError) as error:
        raise BadUserInput(f"`{what}` is not a valid ID.") from error
