"""User accounts of a tenant and their typed API keys (ChaozCode's users; Agent Chassis's next)."""
