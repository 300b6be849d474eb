"""ChittyOS (spec 000): ID authority, auth, sync hub, AI gateway and MCP portal."""
