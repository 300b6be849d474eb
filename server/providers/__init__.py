"""Providers: adapters from Chorus's domain to outside capabilities (models, embeddings, tools)."""
