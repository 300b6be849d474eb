"""Crispy Enigma (spec 004): the multi-tenant chat API."""
