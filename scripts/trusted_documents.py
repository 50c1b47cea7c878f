"""Writes iafactory/web/trusted-documents.json: every GraphQL document the web console sends,
as {"<sha256 of the text>": "<text>"} (GraphQL Code Generator's client-preset manifest), for
IAFACTORY_TRUSTED_DOCUMENTS. The texts are the /* GraphQL */ template literals of the console's
modules, byte for byte as the console sends them.

    python scripts/trusted_documents.py          # rewrite the manifest
    python scripts/trusted_documents.py --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = ROOT / "iafactory" / "web" / "static" / "console"
MANIFEST = ROOT / "iafactory" / "web" / "trusted-documents.json"
LITERAL = re.compile(r"/\*\s*GraphQL\s*\*/\s*`([^`]*)`")


def console_documents() -> list[str]:
    documents: list[str] = []
    for module in sorted(CONSOLE.rglob("*.js")):
        for text in LITERAL.findall(module.read_text(encoding="utf-8")):
            if "${" in text or "\\" in text:
                raise ValueError(f"{module.name}: a GraphQL literal must be plain text (no ${{}} or escapes)")
            documents.append(text)
    return documents


def manifest() -> dict[str, str]:
    return {hashlib.sha256(text.encode()).hexdigest(): text for text in console_documents()}


def rendered() -> str:
    return json.dumps(manifest(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    if "--check" in argv:
        if MANIFEST.read_text(encoding="utf-8") != rendered():
            print(f"{MANIFEST} is out of date: run python scripts/trusted_documents.py", file=sys.stderr)
            return 1
        return 0
    MANIFEST.write_text(rendered(), encoding="utf-8")
    print(f"{len(manifest())} documents -> {MANIFEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
