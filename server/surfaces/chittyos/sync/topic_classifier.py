"""The builtin topic classifier: lexical keyword counting, not a language model.

Each category has keyword groups (its subcategories). The text's lower-cased
words are looked up, a trailing "s" or "es" allowed; every hit counts for the
keyword's category and group. The category with most hits wins (ties: the
order of `CATEGORIES`); with no hit at all it is "general" with confidence 0.

    confidence = (winner's hits / all hits) * (winner's hits / (winner's hits + 1))

The first factor is how clearly the text belongs to one category, the second
how much evidence there is (1 hit: 0.5, 9 hits: 0.9). Both are in [0, 1], so
the result is too; it is rounded to 4 decimals. The same text always gets
the same answer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

GENERAL = "general"
MAX_SUBCATEGORIES = 3

# category -> subcategory -> keywords. A keyword belongs to one group only.
LEXICON: dict[str, dict[str, tuple[str, ...]]] = {
    "development": {
        "api": ("api", "endpoint", "rest", "graphql", "grpc", "route", "webhook", "http"),
        "backend": ("backend", "sql", "query", "orm", "schema", "handler", "middleware"),
        "frontend": ("frontend", "react", "vue", "css", "html", "javascript", "typescript", "component"),
        "debugging": ("bug", "error", "exception", "crash", "debug", "fix", "stacktrace", "traceback"),
        "testing": ("test", "pytest", "unittest", "coverage", "mock", "assertion"),
        "code": ("code", "function", "class", "refactor", "python", "compile", "library", "variable", "repository"),
    },
    "infrastructure": {
        "deployment": ("deploy", "deployment", "release", "rollout", "ci", "staging", "production"),
        "containers": ("docker", "container", "kubernetes", "k8s", "helm", "pod"),
        "cloud": ("aws", "gcp", "azure", "cloudflare", "lambda", "serverless", "cloud", "worker"),
        "networking": ("dns", "tls", "ssl", "certificate", "proxy", "balancer", "cdn", "network", "firewall"),
        "databases": ("database", "postgres", "postgresql", "mysql", "redis", "backup", "replica", "migration"),
        "monitoring": ("monitoring", "log", "metric", "alert", "uptime", "latency", "outage", "incident"),
    },
    "design": {
        "ui": ("ui", "interface", "layout", "button", "screen", "navigation", "modal", "responsive"),
        "ux": ("ux", "usability", "wireframe", "prototype", "persona", "accessibility", "journey"),
        "visual": ("color", "colour", "font", "typography", "logo", "icon", "palette", "branding", "illustration"),
        "tools": ("figma", "sketch", "mockup", "storyboard"),
    },
    "business": {
        "sales": ("sales", "customer", "client", "deal", "lead", "prospect", "crm"),
        "finance": ("revenue", "budget", "pricing", "price", "invoice", "cost", "profit", "payment", "tax"),
        "strategy": ("strategy", "market", "competitor", "roadmap", "growth", "okr", "kpi", "investor"),
        "legal": ("contract", "legal", "compliance", "agreement", "liability", "trademark"),
        "operations": ("meeting", "hiring", "vendor", "partner", "stakeholder", "quarterly"),
    },
    "research": {
        "academic": ("paper", "study", "journal", "citation", "literature", "thesis", "peer"),
        "experiments": ("experiment", "hypothesis", "sample", "trial", "findings", "control"),
        "analysis": ("analysis", "statistics", "statistical", "regression", "dataset", "correlation", "survey"),
        "ml": ("model", "training", "neural", "benchmark", "evaluation", "embedding"),
    },
    "personal": {
        "health": ("health", "doctor", "exercise", "sleep", "diet", "workout", "medical"),
        "family": ("family", "kid", "child", "children", "wife", "husband", "parent", "birthday", "wedding"),
        "travel": ("travel", "vacation", "trip", "flight", "hotel", "holiday"),
        "hobbies": ("hobby", "recipe", "cooking", "music", "movie", "garden", "novel"),
        "home": ("rent", "mortgage", "savings", "grocery", "groceries", "apartment"),
    },
    "documentation": {
        "guides": ("guide", "tutorial", "howto", "walkthrough", "onboarding"),
        "reference": ("documentation", "docs", "reference", "spec", "specification", "manual"),
        "readme": ("readme", "changelog", "docstring", "wiki", "faq"),
        "writing": ("document", "draft", "outline", "section", "glossary"),
    },
}
CATEGORIES = (*LEXICON, GENERAL)

_WORD = re.compile(r"[a-z0-9]+")
_KEYWORDS: dict[str, tuple[str, str]] = {
    keyword: (category, group)
    for category, groups in LEXICON.items()
    for group, keywords in groups.items()
    for keyword in keywords
}


@dataclass(frozen=True, slots=True)
class Classification:
    category: str
    confidence: float
    subcategories: list[str]


def _keyword_of(word: str) -> tuple[str, str] | None:
    found = _KEYWORDS.get(word)
    if found is None and word.endswith("s"):
        found = _KEYWORDS.get(word[:-1])
        if found is None and word.endswith("es"):
            found = _KEYWORDS.get(word[:-2])
    return found


def classify(text: str) -> Classification:
    categories: Counter[str] = Counter()
    groups: Counter[tuple[str, str]] = Counter()
    for word in _WORD.findall(text.lower()):
        found = _keyword_of(word)
        if found is not None:
            categories[found[0]] += 1
            groups[found] += 1
    total = sum(categories.values())
    if not total:
        return Classification(GENERAL, 0.0, [])
    # max() keeps the first of equal counts, and LEXICON's order is the tie-break.
    winner = max(LEXICON, key=lambda c: categories[c])
    hits = categories[winner]
    confidence = round((hits / total) * (hits / (hits + 1)), 4)
    order = list(LEXICON[winner])
    matched = sorted(
        (group for category, group in groups if category == winner),
        key=lambda g: (-groups[(winner, g)], order.index(g)),
    )
    return Classification(winner, confidence, matched[:MAX_SUBCATEGORIES])
