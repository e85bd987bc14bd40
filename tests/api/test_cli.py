"""The console script, as a user runs it: a process per command on a fresh SQLite file."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], db: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run([sys.executable, "-m", "app", *args], input=stdin, env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_keys_create_audit_verify_and_geo(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    made = run(["keys", "create", "--role", "agency", "--agency", "UBND-00070", "--name", "x"],
               db)
    assert made.returncode == 0, made.stderr
    line = json.loads(made.stdout)
    assert line["role"] == "agency" and line["agency"] == "UBND-00070"
    assert line["key"].startswith("hik_") and line["id"]
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash FROM api_keys")).scalar_one()
    assert line["key"] not in stored  # only the hash is kept

    bad = run(["keys", "create", "--role", "agency"], db)
    assert bad.returncode == 2 and "agency" in bad.stderr

    verified = run(["audit", "verify"], db)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout) == {"ok": True, "checked": 0, "first_bad": None}

    out = run(["geo", "resolve"], db,
              stdin='{"address": "Phường Hoàn Kiếm, Hà Nội"}\nnot json\n{"address": "???"}\n')
    assert out.returncode == 0, out.stderr
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert rows[0]["ward_code"] == "00070"
    assert "error" in rows[1]
    assert rows[2]["resolution"] == "unresolved"


@pytest.mark.slow
def test_directory_import_keys_list_and_revoke(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    csv_file = tmp_path / "dir.csv"
    csv_file.write_text("code,name,kind,level,unit_code\nNGO-1,Ngo,ngo,province,79\n")
    done = run(["directory", "import", str(csv_file)], db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"created": 1, "updated": 0, "errors": []}
    csv_file.write_text("code,name,kind,level,unit_code\nNGO-2,Ngo,ngo,province,00\n")
    assert run(["directory", "import", str(csv_file)], db).returncode == 1
    key = json.loads(run(["keys", "create", "--role", "admin"], db).stdout)
    listed = [json.loads(x) for x in run(["keys", "list"], db).stdout.splitlines()]
    assert [k["id"] for k in listed] == [key["id"]] and "key" not in listed[0]
    assert run(["keys", "revoke", key["id"]], db).returncode == 0
    assert run(["keys", "revoke", key["id"]], db).returncode == 2
    # tampering through the database is caught by `audit verify`
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET actor = 'someone else'"))
    bad = run(["audit", "verify"], db)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["first_bad"]["seq"] == 1


@pytest.mark.slow
def test_worker_process_escalates_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import time

    db = tmp_path / "worker.sqlite3"
    key = json.loads(run(["keys", "create", "--role", "callcentre"], db).stdout)["key"]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "ESCALATION_INTERVAL": "0.2",
           "ACK_DEADLINES": "critical=1,high=1,medium=1,low=1"}
    # a report whose acknowledgement deadline has passed a second after it is made
    code = ("import sys, uuid\nfrom fastapi.testclient import TestClient\n"
            "from app.main import create_app\n"
            "c = TestClient(create_app(run_scheduler=False))\n"
            "r = c.post('/v1/reports', json={'channel': 'call', 'description': 'em bi danh',"
            " 'location': {'ward_code': '00070'}}, headers={'Authorization': 'Bearer ' + "
            "sys.argv[1], 'Idempotency-Key': uuid.uuid4().hex})\n"
            "assert r.status_code == 201, r.text\n")
    made = subprocess.run([sys.executable, "-c", code, key], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    time.sleep(1.2)
    worker = subprocess.Popen([sys.executable, "-m", "app", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    engine = create_engine(f"sqlite:///{db}")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                n = conn.execute(text("SELECT count(*) FROM escalations")).scalar_one()
                sealed = conn.execute(text("SELECT count(*) FROM audit_pending")).scalar_one()
            if n >= 1 and sealed == 0:
                break
            time.sleep(0.2)
        assert n >= 1 and sealed == 0  # escalated, and the trail sealed
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
