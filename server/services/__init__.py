"""Servicers: thin adapters between protobuf messages and domain services."""
