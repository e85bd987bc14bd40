"""Phrase lists per signal and marker (data)."""
