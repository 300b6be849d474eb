"""Flight search's optional dependencies: the `flights` extra of pyproject.toml."""

from __future__ import annotations

from server.platform.extras import Extra

FLIGHTS = Extra("flights", "Flight search", ("mcp", "airportsdata"))
