"""Flights: the MCP client Chorus searches with, and its bundled sample-data MCP server.

Nothing here imports the MCP SDK at module level: it costs about a second to
import, and only a process that actually searches flights should pay it.
"""
