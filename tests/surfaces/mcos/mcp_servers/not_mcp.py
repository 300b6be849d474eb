"""A "server" that writes garbage to stdout and never speaks MCP."""

from __future__ import annotations

import sys
import time

if __name__ == "__main__":
    print("Welcome to FlightsPro 3000!", flush=True)
    print("{not json at all", flush=True)
    sys.stdin.read()  # until the client closes our stdin
    time.sleep(0.1)
