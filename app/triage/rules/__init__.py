"""Versioned triage rules and lexicons (data, reviewed by supervisors)."""
