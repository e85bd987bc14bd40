"""Benchmark: our `geo resolve` against vietnamadminunits' own parser, as whole processes.

    .venv/bin/python bench/geo.py [--n 5000] [--seed 1]

Generates N distinct addresses (seeded; today's and legacy forms, numbered and divided legacy
wards, provinces, junk) and times, start-up included:
  - ours: `python -c '... app.geo.cli.run ...'` and, when installed, `hotline-intake geo resolve`;
  - the library: `parse_address(..., mode='FROM_2025')` for today's forms, and for legacy forms
    `parse_address(..., mode='LEGACY')` then the library's own conversion tables
    (`converter_2025`'s dicts), taking the official default ward of a divided legacy ward. This
    is `convert_address_2025` without its only online step (it geocodes through ArcGIS when a
    street is kept), so nothing leaves the machine.
Prints each rate (addresses/s), the ratio, peak RSS of each process and each one's accuracy
against the generator's expected codes.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.geo import addresses_gen as gen  # noqa: E402

PYTHON = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable
CONSOLE = ROOT / ".venv/bin/hotline-intake"
OURS = "import sys; from app.geo.cli import run; sys.exit(run(sys.stdin, sys.stdout))"
LIBRARY = r"""
import json, sys
from vietnamadminunits import parse_address
from vietnamadminunits.converter.converter_2025 import (
    DICT_PROVINCE, DICT_PROVINCE_WARD_DIVIDED, DICT_PROVINCE_WARD_NO_DIVIDED)

ISLANDS = {'huyenbachlongvi', 'huyenconco', 'huyenhoangsa', 'huyenlyson', 'huyencondao'}

def convert_offline(address):
    old = parse_address(address, mode='LEGACY', keep_street=True, level=3)
    province = next((k for k, v in DICT_PROVINCE.items() if old.province_key in v), None)
    ward = None
    if province and (old.ward_key or old.district_key in ISLANDS):
        key = f"{old.province_key}_{old.district_key}_{old.ward_key or ''}"
        wards = DICT_PROVINCE_WARD_NO_DIVIDED[province]
        ward = next((k for k, v in wards.items() if key in v), None)
        if not ward:
            divided = DICT_PROVINCE_WARD_DIVIDED.get(province, {}).get(key, [])
            ward = next((w['newWardKey'] for w in divided if w['isDefaultNewWard']), None)
    parts = [p for p in (ward, province) if p]
    if not parts:
        return None
    return parse_address(','.join(parts), mode='FROM_2025', keep_street=True,
                         level=2 if ward else 1)

for line in sys.stdin:
    row = json.loads(line)
    try:
        if row['legacy']:
            unit = convert_offline(row['address'])
        else:
            unit = parse_address(row['address'], mode='FROM_2025', keep_street=True, level=2)
        out = {'province_code': unit and unit.province_code, 'ward_code': unit and unit.ward_code}
    except Exception as e:
        out = {'error': repr(e)}
    print(json.dumps(out, ensure_ascii=False))
"""


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    max_rss_mb: float
    outputs: list[dict[str, object]]


def addresses(n: int, seed: int) -> list[gen.Case]:
    """N distinct addresses of mixed forms, shuffled (seeded)."""
    cases = gen.mixed(seed, n_current=min(3000, n // 2), n_legacy=n // 2)
    unique = list({c.address: c for c in cases}.values())
    random.Random(seed).shuffle(unique)
    if len(unique) < n:
        raise SystemExit(f"only {len(unique)} distinct addresses generated")
    return unique[:n]


def measure(name: str, argv: list[str], stdin_text: str) -> Run:
    """Run one whole process with `stdin_text` on stdin; wall time and its own peak RSS."""
    with tempfile.TemporaryFile("w+b") as src, tempfile.TemporaryFile("w+b") as dst:
        src.write(stdin_text.encode("utf-8"))
        src.seek(0)
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=src, stdout=dst, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{name} exited with {proc.returncode}")
        dst.seek(0)
        outputs = [json.loads(line) for line in dst.read().decode("utf-8").splitlines()]
    return Run(name, seconds, usage.ru_maxrss / 1024, outputs)  # ru_maxrss: KiB on Linux


def accuracy(cases: list[gen.Case], outputs: list[dict[str, object]]) -> float:
    if len(outputs) != len(cases):
        return float("nan")
    right = sum(
        (o.get("province_code"), o.get("ward_code")) == (c.province_code, c.ward_code)
        for c, o in zip(cases, outputs, strict=True)
    )
    return right / len(cases)


def report(run: Run, cases: list[gen.Case]) -> float:
    rate = len(cases) / run.seconds
    print(
        f"{run.name:<34} {run.seconds:8.2f} s {rate:10.0f} addr/s "
        f"peak RSS {run.max_rss_mb:6.1f} MB  accuracy {accuracy(cases, run.outputs):.4f}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cases = addresses(args.n, args.seed)
    ours_in = "".join(json.dumps({"address": c.address}, ensure_ascii=False) + "\n" for c in cases)
    lib_in = "".join(
        json.dumps({"address": c.address, "legacy": c.form.startswith("legacy")}) + "\n"
        for c in cases
    )
    print(f"{len(cases)} distinct addresses, seed {args.seed}: ", end="")
    print(
        ", ".join(f"{f} {sum(c.form == f for c in cases)}" for f in sorted({c.form for c in cases}))
    )
    runs = [measure("ours (python -c app.geo.cli.run)", [PYTHON, "-c", OURS], ours_in)]
    if CONSOLE.exists():
        try:
            runs.append(
                measure(
                    "ours (hotline-intake geo resolve)", [str(CONSOLE), "geo", "resolve"], ours_in
                )
            )
        except SystemExit as e:
            print(f"(hotline-intake geo resolve not usable: {e})")
    library = measure("vietnamadminunits parse_address", [PYTHON, "-c", LIBRARY], lib_in)
    rates = [report(r, cases) for r in runs]
    library_rate = report(library, cases)
    for r, rate in zip(runs, rates, strict=True):
        print(f"ratio {r.name} / library: {rate / library_rate:.1f}x")
    # The fixed cost of each process (one address), to read the rates above against.
    ours_one = measure("ours", [PYTHON, "-c", OURS], ours_in.splitlines(keepends=True)[0])
    lib_one = measure("library", [PYTHON, "-c", LIBRARY], lib_in.splitlines(keepends=True)[0])
    print(f"start-up (one address): ours {ours_one.seconds:.2f} s, library {lib_one.seconds:.2f} s")


if __name__ == "__main__":
    main()
