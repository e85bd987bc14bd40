"""Benchmark: our `geo resolve` against vietnamadminunits' own parser, as whole processes.

    .venv/bin/python bench/geo.py [--n 5000] [--seed 1] [--runs 3] [--env-as-is]

Generates N distinct addresses (seeded; today's and legacy forms, numbered and divided legacy
wards, provinces, junk) and times whole processes, start-up included, best of `--runs` each
(after one untimed warm-up run of each, so both read compiled bytecode as installed code does):
  - ours: `hotline-intake geo resolve` (and `python -c '... app.geo.cli.run ...'`);
  - the library: `parse_address(..., mode='FROM_2025')` for today's forms, and for legacy forms
    `parse_address(..., mode='LEGACY')` then the library's own conversion tables
    (`converter_2025`'s dicts), taking the official default ward of a divided legacy ward. This
    is `convert_address_2025` without its only online step (it geocodes through ArcGIS when a
    street is kept), so nothing leaves the machine.
Prints each time and rate (addresses/s), the ratio, the peak RSS of each process, each one's
accuracy against the generator's expected codes, and the fixed costs: a bare `python -c pass`,
importing the library, and each command on one address.

Both commands run in the same environment: the caller's, less PYTHONDONTWRITEBYTECODE and
PYTHONUNBUFFERED (with PYTHONPYCACHEPREFIX pointing at a scratch cache, so nothing is written
into the tree); `--env-as-is` keeps the caller's environment unchanged instead.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

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


class Run(NamedTuple):
    name: str
    seconds: float
    max_rss_mb: float
    outputs: list[dict[str, object]]
    cpu_seconds: float = 0.0


def addresses(n: int, seed: int) -> list[gen.Case]:
    """N distinct addresses of mixed forms, shuffled (seeded)."""
    cases = gen.mixed(seed, n_current=min(3000, n // 2), n_legacy=n // 2)
    unique = list({c.address: c for c in cases}.values())
    random.Random(seed).shuffle(unique)
    if len(unique) < n:
        raise SystemExit(f"only {len(unique)} distinct addresses generated")
    return unique[:n]


ENV: dict[str, str] = dict(os.environ)


def normal_env() -> dict[str, str]:
    """The environment of an installed program: bytecode cached, stdout block-buffered."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")
    }
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "hotline-bench-pycache")
    return env


def measure(name: str, argv: list[str], stdin_text: str) -> Run:
    """Run one whole process with `stdin_text` on stdin; its wall and CPU time."""
    with tempfile.TemporaryFile("w+b") as src, tempfile.TemporaryFile("w+b") as dst:
        src.write(stdin_text.encode("utf-8"))
        src.seek(0)
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=src, stdout=dst, cwd=ROOT, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{name} exited with {proc.returncode}")
        dst.seek(0)
        outputs = [json.loads(line) for line in dst.read().decode("utf-8").splitlines()]
    cpu = usage.ru_utime + usage.ru_stime
    return Run(name, seconds, 0.0, outputs, cpu)


_HWM = """
import atexit, sys
def _hwm():
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    print(f"VmHWM {kb}", file=sys.stderr)
atexit.register(_hwm)
"""
OURS_HWM = (
    _HWM
    + "import runpy; sys.argv = ['hotline-intake', 'geo', 'resolve']\n"
    + ("runpy.run_module('app', run_name='__main__')")
)


def peak_rss_mb(code: str, stdin_text: str) -> float:
    """Peak RSS of a process running `code`, as the process itself sees it at exit (VmHWM).
    `ru_maxrss` from wait4 would also count the pages of this (large) benchmark process that
    the child had before it exec'd."""
    done = subprocess.run(
        [PYTHON, "-c", code],
        input=stdin_text.encode("utf-8"),
        capture_output=True,
        cwd=ROOT,
        env=ENV,
        check=True,
    )
    line = done.stderr.decode().strip().splitlines()[-1]
    return int(line.split()[1]) / 1024


def best(name: str, argv: list[str], stdin_text: str, runs: int) -> Run:
    """The fastest of `runs` runs, after an untimed one."""
    measure(name, argv, stdin_text)
    done = [measure(name, argv, stdin_text) for _ in range(runs)]
    fastest = min(done, key=lambda r: r.seconds)
    return Run(name, fastest.seconds, 0.0, fastest.outputs, min(r.cpu_seconds for r in done))


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
        f"{run.name:<36} {run.seconds:6.3f} s (cpu {run.cpu_seconds:5.3f} s) {rate:8.0f} addr/s"
        f"  peak RSS {run.max_rss_mb:6.1f} MB  accuracy {accuracy(cases, run.outputs):.4f}"
    )
    return rate


def main() -> None:
    global ENV
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--env-as-is", action="store_true")
    args = parser.parse_args()
    ENV = dict(os.environ) if args.env_as_is else normal_env()
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
    print(f"whole processes, best of {args.runs} after a warm-up run each")
    commands: list[tuple[str, list[str]]] = []
    if CONSOLE.exists():
        commands.append(("ours (hotline-intake geo resolve)", [str(CONSOLE), "geo", "resolve"]))
    commands.append(("ours (python -c app.geo.cli.run)", [PYTHON, "-c", OURS]))
    runs = [best(name, argv, ours_in, args.runs) for name, argv in commands]
    library = best("vietnamadminunits parse_address", [PYTHON, "-c", LIBRARY], lib_in, args.runs)
    ours_rss = peak_rss_mb(OURS_HWM, ours_in)
    runs = [r._replace(max_rss_mb=ours_rss) for r in runs]
    library = library._replace(max_rss_mb=peak_rss_mb(_HWM + LIBRARY, lib_in))
    rates = [report(r, cases) for r in runs]
    library_rate = report(library, cases)
    for r, rate in zip(runs, rates, strict=True):
        print(f"ratio {r.name} / library: {rate / library_rate:.1f}x")
    # The fixed costs, to read the rates above against.
    bare = best("python -c pass", [PYTHON, "-c", "pass"], "", args.runs)
    lib_import = best(
        "import vietnamadminunits",
        [PYTHON, "-c", "import vietnamadminunits.converter.converter_2025"],
        "",
        args.runs,
    )
    first = ours_in.splitlines(keepends=True)[0]
    ours_one = best("ours, one address", commands[0][1], first, args.runs)
    lib_one = best("library, one address", [PYTHON, "-c", LIBRARY], lib_in.splitlines(True)[0], 1)
    print(
        f"start-up: python -c pass {bare.seconds:.3f} s; import of the library "
        f"{lib_import.seconds:.3f} s; one address: ours {ours_one.seconds:.3f} s, "
        f"library {lib_one.seconds:.3f} s"
    )


if __name__ == "__main__":
    main()
