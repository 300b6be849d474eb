"""One package per API document; each declares one Surface (server/platform/surface.py)."""
