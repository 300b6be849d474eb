"""`chorus crispy documents load <folder>`: stores a folder's markdown and text files as a tenant's documents.

Files ending .md or .markdown are markdown, .txt plain text; others are
skipped. A document's id is its path in the folder (`guides/setup.md` ->
`guides.setup.md`), so loading the folder again replaces each document
rather than adding a copy. Its title is the file's first `# heading`, else
the file name. Each document is stored like `POST /documents` stores it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from server.platform.documents.chunker import DocumentFormat
from server.surfaces.crispy.documents import Document, DocumentStore

FORMATS_BY_SUFFIX: dict[str, DocumentFormat] = {".md": "markdown", ".markdown": "markdown", ".txt": "text"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def document_id(relative: Path) -> str:
    """The file's path as a document id: separators become '.', other characters '-'; at most 64."""
    joined = ".".join(relative.parts)
    return _UNSAFE.sub("-", joined)[-64:].lstrip(".-") or "document"


def title_of(text: str, path: Path, document_format: DocumentFormat) -> str:
    found = _TITLE.search(text) if document_format == "markdown" else None
    return (found.group(1) if found else path.stem)[:300]


def documents_in(folder: Path) -> Iterator[tuple[Path, DocumentFormat]]:
    for path in sorted(folder.rglob("*")):
        document_format = FORMATS_BY_SUFFIX.get(path.suffix.lower())
        if document_format is not None and path.is_file():
            yield path, document_format


async def load_folder(store: DocumentStore, tenant_id: str, folder: Path) -> list[tuple[Path, Document | str]]:
    """Stores each file; per file, the document stored or why it was skipped."""
    loaded: list[tuple[Path, Document | str]] = []
    for path, document_format in documents_in(folder):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            loaded.append((path, "not UTF-8 text"))
            continue
        if not text.strip():
            loaded.append((path, "empty"))
            continue
        relative = path.relative_to(folder)
        title = title_of(text, path, document_format)
        document = await store.put(
            tenant_id, document_id(relative), title, document_format, {"path": str(relative)}, text
        )
        loaded.append((path, document))
    return loaded
