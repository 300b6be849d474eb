"""Deterministic text tools: counts and reading time, language, keywords.

Libraries: `segtok` splits sentences (rule-based, no model), `py3langid`
identifies the language (a naive Bayes model shipped in the package, 97
languages), `yake` extracts keywords (statistical, unsupervised, with stop
word lists for ~35 languages). Nothing is fetched at run time. The CPU work
runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
from typing import Any

from pydantic import Field

from server.platform.scope import Scope
from server.platform.tools.registry import Tool, ToolArgs

MAX_TEXT_CHARS = 100_000
# Average silent reading rate of adults for non-fiction, words per minute (Brysbaert, 2019).
READING_WPM = 238
# Words: letters or digits, joined by an apostrophe (straight or curly) or a hyphen.
_WORD = re.compile(r"\w+(?:['\u2019-]\w+)*")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class TextArgs(ToolArgs):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The text to analyse.")


def count_text(text: str) -> dict[str, Any]:
    from segtok.segmenter import split_multi

    words = len(_WORD.findall(text))
    sentences = sum(1 for s in split_multi(text) if _WORD.search(s))
    paragraphs = sum(1 for p in _PARAGRAPH_BREAK.split(text) if p.strip())
    return {
        "words": words,
        "characters": len(text),
        "charactersWithoutSpaces": sum(1 for c in text if not c.isspace()),
        "sentences": sentences,
        "paragraphs": paragraphs,
        "readingTimeSeconds": math.ceil(words * 60 / READING_WPM),
    }


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


class DetectLanguageArgs(TextArgs):
    candidates: int = Field(default=3, ge=1, le=10, description="How many likely languages to list.")


def detect_language(text: str, candidates: int) -> dict[str, Any]:
    ranked = _identifier().rank(text)[:candidates]
    return {
        "language": ranked[0][0],
        "confidence": round(float(ranked[0][1]), 4),
        "candidates": [{"language": code, "confidence": round(float(p), 4)} for code, p in ranked],
    }


# yake's stop word lists by ISO 639-1 code where its file names differ.
_YAKE_CODES = {"cs": "cz"}


class KeywordArgs(TextArgs):
    top: int = Field(default=5, ge=1, le=50, description="How many keywords.")
    max_words: int = Field(default=2, ge=1, le=4, description="Longest keyword phrase, in words.")
    language: str = Field(default="", max_length=8, description="ISO 639-1 code for the stop words; empty: detected.")


def extract_keywords(text: str, top: int, max_words: int, language: str) -> dict[str, Any]:
    import yake

    code = language or _identifier().classify(text)[0]
    extractor = yake.KeywordExtractor(lan=_YAKE_CODES.get(code, code), n=max_words, top=top)
    # yake scores: lower is more relevant; listed most relevant first.
    found = extractor.extract_keywords(text)
    return {"language": code, "keywords": [{"keyword": k, "score": round(float(s), 6)} for k, s in found]}


async def _word_count(scope: Scope, args: TextArgs) -> dict[str, Any]:
    return await asyncio.to_thread(count_text, args.text)


async def _detect_language(scope: Scope, args: DetectLanguageArgs) -> dict[str, Any]:
    return await asyncio.to_thread(detect_language, args.text, args.candidates)


async def _extract_keywords(scope: Scope, args: KeywordArgs) -> dict[str, Any]:
    return await asyncio.to_thread(extract_keywords, args.text, args.top, args.max_words, args.language)


TEXT_TOOLS = (
    Tool(
        "word_count",
        "Counts words, characters, sentences and paragraphs, and estimates the reading time "
        f"at {READING_WPM} words a minute.",
        TextArgs,
        _word_count,
    ),
    Tool(
        "detect_language",
        "Identifies the text's language (ISO 639-1 code) with a confidence, and the next likeliest.",
        DetectLanguageArgs,
        _detect_language,
    ),
    Tool(
        "extract_keywords",
        "Extracts the text's key words and phrases (YAKE), most relevant first.",
        KeywordArgs,
        _extract_keywords,
    ),
)
