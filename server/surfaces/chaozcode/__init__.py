"""ChaozCode API v2 (spec 001): typed API keys and plans, AI query, models, projects, user."""
