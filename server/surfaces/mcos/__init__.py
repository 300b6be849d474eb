"""Micro Chief of Staff (spec 003): chat with tools, tasks, state, memory, flights."""
