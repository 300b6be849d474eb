"""Small real MCP servers that misbehave on purpose, for the flights failure tests."""
