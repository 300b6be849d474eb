"""ChaozCode's agents (spec 001, "Agent Endpoints"): runs of the platform agent loop as
platform jobs, over tools on the user's own data."""
