"""Splits a document into chunks on its structure: headings, then paragraphs.

Markdown is parsed with markdown-it-py (CommonMark): each top-level block
(paragraph, list, table, code fence, quote) is cut from the source by the
line range the parser gives it, so a chunk keeps the author's markdown.
Headings are not chunks of their own: they open a section, and every chunk
of the section carries its heading path ("Setup > Database"). Plain text has
no headings: its blocks are the paragraphs between blank lines.

Within a section, consecutive blocks are packed into one chunk while it stays
under `max_chars`; a block longer than that is split between sentences
(segtok, rule-based), and a sentence longer still between words. Chunks never
span two sections, so a chunk answers about one topic, and its heading path
is embedded with it (`Chunk.embedding_text`): a section's words count even
where its paragraphs do not repeat them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt

DocumentFormat = Literal["markdown", "text"]
MAX_CHUNK_CHARS = 1200
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_HEADING_DEPTH = 6


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    heading: str  # the section's heading path, "A > B"; "" before the first heading
    text: str

    def embedding_text(self, title: str) -> str:
        context = section_path(title, self.heading)
        return f"{context}\n{self.text}" if context else self.text


def section_path(title: str, heading: str) -> str:
    """ "Title > Heading > Subheading"; a document's first heading is often its title: not repeated."""
    parts = [heading] if heading.startswith(title) else [title, heading]
    return " > ".join(part for part in parts if part)


def chunk_document(text: str, document_format: DocumentFormat, max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    sections = _markdown_sections(text) if document_format == "markdown" else [("", _paragraphs(text))]
    chunks: list[Chunk] = []
    for heading, blocks in sections:
        for piece in _pack(blocks, max_chars):
            chunks.append(Chunk(len(chunks), heading, piece))
    return chunks


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def _markdown_sections(text: str) -> list[tuple[str, list[str]]]:
    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    path: list[str] = [""] * _HEADING_DEPTH
    sections: list[tuple[str, list[str]]] = [("", [])]
    for position, token in enumerate(tokens):
        if token.level != 0 or token.map is None or token.nesting == -1:
            continue
        if token.type == "heading_open":
            depth = int(token.tag[1:])
            path[depth - 1] = tokens[position + 1].content.strip()
            path[depth:] = [""] * (_HEADING_DEPTH - depth)
            sections.append((" > ".join(p for p in path if p), []))
            continue
        block = "\n".join(lines[token.map[0] : token.map[1]]).strip()
        if block:
            sections[-1][1].append(block)
    return [(heading, blocks) for heading, blocks in sections if blocks]


def _pack(blocks: list[str], max_chars: int) -> list[str]:
    """Consecutive blocks joined while they fit; longer blocks split first."""
    pieces = [piece for block in blocks for piece in _split_long(block, max_chars)]
    packed: list[str] = []
    for piece in pieces:
        if packed and len(packed[-1]) + 2 + len(piece) <= max_chars:
            packed[-1] = f"{packed[-1]}\n\n{piece}"
        else:
            packed.append(piece)
    return packed


def _split_long(block: str, max_chars: int) -> list[str]:
    if len(block) <= max_chars:
        return [block]
    from segtok.segmenter import split_multi

    parts: list[str] = []
    for sentence in split_multi(block):
        for piece in _split_words(sentence.strip(), max_chars):
            if parts and len(parts[-1]) + 1 + len(piece) <= max_chars:
                parts[-1] = f"{parts[-1]} {piece}"
            elif piece:
                parts.append(piece)
    return parts


def _split_words(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    parts: list[str] = []
    for word in sentence.split():
        word = word[:max_chars]
        if parts and len(parts[-1]) + 1 + len(word) <= max_chars:
            parts[-1] = f"{parts[-1]} {word}"
        else:
            parts.append(word)
    return parts
