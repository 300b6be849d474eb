"""ChittyOS AI gateway: OpenAI-compatible chat completions, embeddings and models."""
