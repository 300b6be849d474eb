"""Tools a caller runs directly (`POST /tools/execute`) or a model calls (the agent loop)."""
