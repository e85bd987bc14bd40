"""Address resolution: free text, codes or coordinates -> today's province and ward.

Public API: `resolve`, `resolve_address` (and the `Location` value they return); `warm` builds
the in-memory index ahead of the first request.
"""

from app.geo.resolver import resolve, resolve_address, warm
from app.geo.types import Candidate, Location

__all__ = ["Candidate", "Location", "resolve", "resolve_address", "warm"]
