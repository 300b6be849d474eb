"""Documents for retrieval: structural chunking."""
