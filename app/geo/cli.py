"""`hotline-intake geo resolve`: JSON lines in, one `location` object per line out.

Imports only what resolution needs (no web framework, ORM or settings) so the command starts
fast; `app/cli.py` calls `run` lazily.
"""

import atexit
import gc
import json
import math
import re
from collections.abc import Callable
from typing import Any, Final, TextIO

from app.geo import resolve, resolver, warm
from app.geo.resolver import Answer
from app.geo.types import Location

_BATCH: Final = 1024  # lines answered together (see `answer_lines`), and written at once
_LINES_MAX: Final = 1 << 14

_CODES = ("province_code", "ward_code")
_POINT = ("lat", "lon")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _request(line: str) -> dict[str, Any]:
    """The resolve() arguments of one input line; ValueError says what is wrong with it."""
    return _fields(_parse(line))


def _parse(line: str) -> Any:
    if not line.strip():
        raise ValueError("empty line")
    try:
        return json.loads(line)
    except ValueError as e:  # JSONDecodeError, and RecursionError-free: json is iterative enough
        raise ValueError(f"invalid JSON: {e}") from None


def _fields(data: Any) -> dict[str, Any]:
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
_string: Callable[[str], str] = json.encoder.encode_basestring  # what _encode uses for str
# The common line, {"address": "..."} with nothing to unescape: its address as json.loads
# reads it (a JSON string holds no raw control character; whitespace is JSON's own).
_ADDRESS_ONLY: Final = re.compile(r'[ \t\n\r]*\{"address": "([^"\\\x00-\x1f]*)"\}[ \t\n\r]*')
# Answers recur (a ward's answer is the same each time): each one's line, made once.
_lines: dict[Answer, str] = {}


def encode_location(location: Location) -> str:
    """`_encode(location.to_dict())`, written out directly (several times faster)."""
    string = _string
    candidates = (
        ", ".join(
            f'{{"ward_code": {string(c.ward_code)}, "ward_name": {string(c.ward_name)}}}'
            for c in location.candidates
        )
        if location.candidates
        else ""
    )
    province_code, province_name = location.province_code, location.province_name
    ward_code, ward_name = location.ward_code, location.ward_name
    return (
        f'{{"resolution": {string(location.resolution)}, '
        f'"province_code": {"null" if province_code is None else string(province_code)}, '
        f'"province_name": {"null" if province_name is None else string(province_name)}, '
        f'"ward_code": {"null" if ward_code is None else string(ward_code)}, '
        f'"ward_name": {"null" if ward_name is None else string(ward_name)}, '
        f'"ambiguous": {"true" if location.ambiguous else "false"}, '
        f'"candidates": [{candidates}]}}'
    )


def _address_only(line: str) -> str | None:
    """The address of the common line, {"address": "..."} with nothing to unescape."""
    simple = _ADDRESS_ONLY.fullmatch(line)
    return None if simple is None else simple.group(1)


def _answer_of(line: str) -> Answer | None:
    """The answer to one line of another form, None if the line is unreadable."""
    try:
        request = _request(line)
    except (ValueError, RecursionError):
        return None
    return resolver.answer(**request)


def _encoded(found: Answer) -> str:
    """The JSON line of an answer (made once while it recurs)."""
    text = _lines.get(found)
    if text is None:
        if len(_lines) >= _LINES_MAX:
            _lines.clear()
        text = _lines[found] = encode_location(resolver.make_location(found))
    return text


def answer_lines(lines: list[str]) -> list[str]:
    """`answer` of each line as one JSON line (without its newline). A phase at a time: the
    addresses of the common lines all read, then all answered, then the answers written out,
    so that each phase's tables stay in the processor's caches (see `resolver.read_address`)."""
    addresses = [_address_only(line) for line in lines]
    read = [None if a is None else resolver.read_address(a) for a in addresses]
    answers = [
        resolver.answer(address, scanned=scanned) if address is not None else _answer_of(line)
        for line, address, scanned in zip(lines, addresses, read, strict=True)
    ]
    return [
        _encode(answer(line)) if found is None else _encoded(found)
        for line, found in zip(lines, answers, strict=True)
    ]


def answer_line(line: str) -> str:
    """`answer` as one JSON line (without its newline)."""
    return answer_lines([line])[0]


_freeze_at_exit = True  # until the hook is registered


def run(input_stream: TextIO, output_stream: TextIO) -> int:
    """Resolve each line of `input_stream` in order, one output line per input line; unreadable
    lines (blank ones too) give {"error": ...} in their place. Returns the process exit status (0).

    Output is written in batches of lines (and flushed at the end), not line by line. While
    it runs, the cyclic garbage collector is off (from before the index is loaded) and the
    index is frozen out of its reach: resolving makes no reference cycles, and the collector's
    passes over the index and the caches would cost a fifth of the time; memory stays bounded
    by the caches' bounds. Afterwards the index and the caches are left in the oldest
    generation, so no young collection walks them.

    At the process's exit everything is frozen again (an `atexit` hook): the interpreter's last
    collection would otherwise walk the index and the caches once more (tens of milliseconds,
    the time of a thousand addresses or so); run is a batch command's body, its process ends."""
    global _freeze_at_exit
    if _freeze_at_exit:
        atexit.register(gc.freeze)
        _freeze_at_exit = False
    reconfigure = getattr(input_stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")  # a stray invalid byte must not end the whole batch
    collecting = gc.isenabled()
    gc.disable()  # before the index is loaded: the first collection after it would walk it all
    try:
        warm()
        gc.freeze()
        batch: list[str] = []
        for line in input_stream:
            batch.append(line)
            if len(batch) >= _BATCH:
                output_stream.write("\n".join(answer_lines(batch)) + "\n")
                batch.clear()
        if batch:
            output_stream.write("\n".join(answer_lines(batch)) + "\n")
        output_stream.flush()
    finally:
        # What resolving made (mostly cache entries) joins the index in the oldest generation:
        # left young, the first collection after this would walk all of it.
        gc.freeze()
        gc.unfreeze()
        if collecting:
            gc.enable()
    return 0
