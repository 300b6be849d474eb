"""ChittyOS MCP portal."""
