"""MCoS's stores: conversations, tasks, memory, preferences, and the change feed."""
