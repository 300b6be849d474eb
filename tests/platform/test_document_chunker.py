"""Structural chunking (server/platform/documents/chunker.py): sections, blocks, limits."""

from __future__ import annotations

from server.platform.documents.chunker import chunk_document, section_path

GUIDE = """Preface before any heading.

# Guide

Intro paragraph.

## Install

Run the installer.

- step one
- step two

```
make install
```

## Configure

### Database

Set the URL.

| key | value |
|-----|-------|
| url | sqlite |
"""


def test_chunks_follow_headings_and_keep_blocks_whole() -> None:
    chunks = chunk_document(GUIDE, "markdown")
    assert [(c.index, c.heading) for c in chunks] == [
        (0, ""),
        (1, "Guide"),
        (2, "Guide > Install"),
        (3, "Guide > Configure > Database"),
    ]
    assert chunks[0].text == "Preface before any heading."
    # A section's blocks packed together, in the author's markdown.
    assert chunks[2].text == "Run the installer.\n\n- step one\n- step two\n\n```\nmake install\n```"
    assert chunks[3].text.startswith("Set the URL.\n\n| key | value |")
    assert "Configure" not in [c.heading for c in chunks]  # a heading alone is no chunk


def test_a_section_over_the_limit_splits_between_sentences() -> None:
    sentence = "Tenants are isolated by id. "
    text = "# Long\n\n" + sentence * 100
    chunks = chunk_document(text, "markdown", max_chars=300)
    assert len(chunks) > 1 and all(len(c.text) <= 300 for c in chunks)
    assert all(c.heading == "Long" for c in chunks)
    assert all(c.text.endswith("id.") for c in chunks)  # never mid-sentence
    assert " ".join(c.text for c in chunks) == (sentence * 100).strip()


def test_a_word_longer_than_the_limit_is_cut() -> None:
    chunks = chunk_document("x" * 50, "text", max_chars=20)
    assert all(len(c.text) <= 20 for c in chunks) and chunks


def test_plain_text_chunks_on_paragraphs_without_sections() -> None:
    text = "# not a heading\n\nsecond paragraph\n\n\n\nthird"
    chunks = chunk_document(text, "text", max_chars=35)
    assert [(c.heading, c.text) for c in chunks] == [("", "# not a heading\n\nsecond paragraph"), ("", "third")]
    assert chunk_document("  \n\n ", "text") == []


def test_embedding_text_carries_the_section_path() -> None:
    chunk = chunk_document("# Guide\n\n## Install\n\nRun it.", "markdown")[0]
    assert chunk.embedding_text("Guide") == "Guide > Install\nRun it."  # the title is the first heading
    assert chunk.embedding_text("Handbook") == "Handbook > Guide > Install\nRun it."
    assert section_path("Handbook", "") == "Handbook"
