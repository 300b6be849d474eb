"""Vector search: a namespace's vectors persisted in the database, searched in memory per owner scope."""

from server.platform.vectors.index import VectorIndex
from server.platform.vectors.partition import Hit, Partition

__all__ = ["Hit", "Partition", "VectorIndex"]
