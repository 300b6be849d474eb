"""Agent Chassis (spec 002): the agent loop with tools, sessions, and user sign-in."""
