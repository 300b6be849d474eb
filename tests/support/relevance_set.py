"""A small labelled relevance set: queries, the one text each is about, and distractors.

Every query paraphrases its text with few shared words, the way a user asks
for a memory or a document in other words than it was written in. Shared by
the relevance test (a floor the semantic model must keep above the lexical
baseline) and `make bench` (the figure side by side).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

# (query, the relevant text)
PAIRS: tuple[tuple[str, str], ...] = (
    ("I can't log in, how do I change my password?", "Resetting account credentials after a forgotten login"),
    ("my car won't start in the morning", "Vehicle engine fails to turn over on cold days"),
    ("cheap places to stay in Paris", "Budget hotels and hostels in the French capital"),
    ("the app crashes when I open it", "Application terminates unexpectedly at launch"),
    ("how do I make my website load faster", "Improving page speed: caching, compression and smaller images"),
    ("what should I eat to lose weight", "A calorie-deficit diet plan for slimming down"),
    ("the meeting moved to Thursday", "Our sync was rescheduled to later this week"),
    ("user prefers dark mode in the editor", "Customer likes a black theme for the IDE"),
    ("the database is running out of disk", "Storage volume for Postgres is nearly full"),
    ("puppy keeps chewing the furniture", "Young dog gnaws on the sofa and chair legs"),
    ("how to say thank you in Japanese", "Expressing gratitude: arigatou gozaimasu"),
    ("the deploy failed because of a missing secret", "Release pipeline broke: an API credential was not configured"),
    ("kids cannot sleep at night", "Children have trouble falling asleep in the evening"),
    ("stock market dropped sharply today", "Equities fell steeply in this afternoon's trading"),
    ("is it going to rain tomorrow", "Weather forecast: showers expected on the next day"),
    ("we need to hire another backend engineer", "Recruiting one more server-side developer for the team"),
)

# Texts no query is about: the relevant text must outrank them too.
DISTRACTORS: tuple[str, ...] = (
    "Change the oil of the lawn mower every season",
    "Password managers store many secrets in one vault",
    "Paris is hosting a marathon this spring",
    "Open the window to let fresh air into the room",
    "The website has a new logo and color palette",
    "Eat more vegetables for a balanced diet of fibre",
    "Thursday is the fourth day of the week",
    "Dark chocolate has less sugar than milk chocolate",
    "Disk jockeys play music at weddings",
    "Furniture stores have a sale on chairs",
    "Japanese gardens use raked gravel and stones",
    "Secrets of a good sourdough starter",
    "Night trains connect Vienna and Rome",
    "The farmers market opens on Saturday",
    "Rain boots come in many colors for kids",
    "Engineers design bridges to withstand wind",
)

CORPUS: tuple[str, ...] = tuple(text for _, text in PAIRS) + DISTRACTORS
QUERIES: tuple[str, ...] = tuple(query for query, _ in PAIRS)


def mean_reciprocal_rank(query_vectors: Sequence[Sequence[float]], corpus_vectors: Sequence[Sequence[float]]) -> float:
    """MRR of each query's relevant text (CORPUS[i] for QUERIES[i]) ranked by cosine over CORPUS."""
    queries = _normalised(query_vectors)
    corpus = _normalised(corpus_vectors)
    scores = queries @ corpus.T
    total = 0.0
    for i, row in enumerate(scores):
        # Rank 1 + the texts scoring strictly higher than the relevant one.
        total += 1.0 / (1 + int(np.sum(row > row[i])))
    return total / len(queries)


def recall_at(k: int, query_vectors: Sequence[Sequence[float]], corpus_vectors: Sequence[Sequence[float]]) -> float:
    queries, corpus = _normalised(query_vectors), _normalised(corpus_vectors)
    scores = queries @ corpus.T
    return float(np.mean([int(np.sum(row > row[i])) < k for i, row in enumerate(scores)]))


def _normalised(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


Embed = Callable[[Sequence[str]], Sequence[Sequence[float]]]
