"""An MCP client for tool servers (MCoS flights, Agent Chassis tools), on a loop of its own."""
