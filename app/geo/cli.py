"""`hotline-intake geo resolve`: JSON lines in, one `location` object per line out.

Imports only what resolution needs (no web framework, ORM or settings) so the command starts
fast; `app/cli.py` calls `run` lazily.
"""

import gc
import json
import math
from typing import Any, Final, TextIO

from app.geo import resolve, warm
from app.geo.types import Location

_BATCH: Final = 256  # output lines per write
_ENCODED_MAX: Final = 1 << 14

_CODES = ("province_code", "ward_code")
_POINT = ("lat", "lon")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _request(line: str) -> dict[str, Any]:
    """The resolve() arguments of one input line; ValueError says what is wrong with it."""
    try:
        data = json.loads(line)
    except ValueError as e:  # JSONDecodeError, and RecursionError-free: json is iterative enough
        raise ValueError(f"invalid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError("line is not a JSON object")
    address = data.get("address")
    if address is not None and not isinstance(address, str):
        raise ValueError("address is not a string")
    for name in _CODES:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ValueError(f"{name} is not a string")
    for name in _POINT:
        if data.get(name) is not None and not _is_number(data[name]):
            raise ValueError(f"{name} is not a number")
    return {k: data.get(k) for k in ("address", *_CODES, *_POINT)}


def answer(line: str) -> dict[str, Any]:
    try:
        request = _request(line)
    except (ValueError, RecursionError) as e:  # RecursionError: absurdly nested JSON
        return {"error": str(e) if isinstance(e, ValueError) else "invalid JSON: nested too deeply"}
    return resolve(**request).to_dict()


_encode = json.JSONEncoder(ensure_ascii=False).encode
_encoded: dict[Location, str] = {}  # answers recur (a ward's answer is the same each time)


def answer_line(line: str) -> str:
    """`answer` as one JSON line (without its newline)."""
    try:
        request = _request(line)
    except (ValueError, RecursionError):
        return _encode(answer(line))
    location = resolve(**request)
    text = _encoded.get(location)
    if text is None:
        if len(_encoded) >= _ENCODED_MAX:
            _encoded.clear()
        text = _encoded[location] = _encode(location.to_dict())
    return text


def run(input_stream: TextIO, output_stream: TextIO) -> int:
    """Resolve each non-blank line of `input_stream` in order; unreadable lines give
    {"error": ...} in their place. Returns the process exit status (0).

    Output is written in batches of lines (and flushed at the end), not line by line. While
    it runs, the cyclic garbage collector is off and the loaded index is frozen out of its
    reach: resolving makes no reference cycles, and the collector's passes over the index and
    the caches would cost a fifth of the time; memory stays bounded by the caches' bounds."""
    reconfigure = getattr(input_stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")  # a stray invalid byte must not end the whole batch
    collecting = gc.isenabled()
    warm()
    gc.freeze()
    gc.disable()
    try:
        batch: list[str] = []
        for line in input_stream:
            if line.strip():
                batch.append(answer_line(line))
                if len(batch) >= _BATCH:
                    output_stream.write("\n".join(batch) + "\n")
                    batch.clear()
        if batch:
            output_stream.write("\n".join(batch) + "\n")
        output_stream.flush()
    finally:
        if collecting:
            gc.enable()
        gc.unfreeze()
    return 0
