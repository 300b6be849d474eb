"""Agent Chassis servicers: proto in, domain call, proto out."""
