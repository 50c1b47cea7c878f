"""The `iafactory` command. Thin: each command calls into the modules that do the work.

The commands live by topic in this package (server, voice, operator, users, knowledge) and
register themselves on the group of `common.py` when imported here.
"""

from __future__ import annotations

from iafactory.cli import knowledge, operator, server, users, voice
from iafactory.cli.common import main

__all__ = ["knowledge", "main", "operator", "server", "users", "voice"]
