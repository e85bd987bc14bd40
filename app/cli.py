"""The `hotline-intake` command. Imports are deferred so each subcommand loads only what it
needs (`geo resolve` starts without FastAPI or SQLAlchemy)."""

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings
    from app.main import create_app
    from app.observability import configure_logging

    if args.workers > 1 and get_settings().database_url.startswith("sqlite"):
        print("serve: --workers > 1 needs PostgreSQL (SQLite has one writer at a time)",
              file=sys.stderr)
        return 2
    prepare_database()
    configure_logging(get_settings().log_level)
    if args.workers > 1:  # each worker process builds its own app (and logging)
        uvicorn.run("app.main:served_app", factory=True, workers=args.workers, host=args.host,
                    port=args.port, log_config=None, access_log=False)
    else:
        uvicorn.run(create_app(), host=args.host, port=args.port, log_config=None,
                    access_log=False)
    return 0


def prepare_database() -> None:
    """Migrate to head and seed the default directory if it is empty."""
    from app.db import get_sessionmaker
    from app.migrate import upgrade_head
    from app.routing.directory import is_empty, seed_default_directory

    upgrade_head()
    with get_sessionmaker()() as session, session.begin():
        if is_empty(session):
            added = seed_default_directory(session)
            print(json.dumps({"seeded_agencies": added}), file=sys.stderr)


def _keys_create(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.db import get_sessionmaker
    from app.models import Agency
    from app.security import create_key

    prepare_database()
    with get_sessionmaker()() as session, session.begin():
        agency = None
        if args.agency:
            agency = session.scalars(select(Agency).where(Agency.code == args.agency)).first()
            if agency is None:
                print(f"error: no agency with code {args.agency!r}", file=sys.stderr)
                return 2
        try:
            key, raw = create_key(session=session, role=args.role, agency=agency, name=args.name)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(json.dumps({"id": key.id, "key": raw, "role": key.role,
                          "agency": agency.code if agency else None}))
    return 0


def _keys_list(_: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.admin.service import key_view
    from app.db import get_sessionmaker
    from app.models import Agency, ApiKey

    prepare_database()
    with get_sessionmaker()() as session:
        rows = session.execute(select(ApiKey, Agency.code).outerjoin(
            Agency, Agency.id == ApiKey.agency_id).order_by(ApiKey.created_at)).all()
        for key, code in rows:
            print(json.dumps(key_view(key, code), default=str))
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from app import audit
    from app.db import get_sessionmaker
    from app.security import revoke_key

    prepare_database()
    with get_sessionmaker()() as session, session.begin():
        if not revoke_key(session=session, key_id=args.id):
            print(f"error: no active key {args.id!r}", file=sys.stderr)
            return 2
        audit.append(session, report_id=None, action="key.revoked", actor="cli",
                     payload={"key_id": args.id})
    print(json.dumps({"id": args.id, "revoked": True}))
    return 0


def _directory_import(args: argparse.Namespace) -> int:
    from app.admin.directory_csv import import_csv
    from app.db import get_sessionmaker

    prepare_database()
    with open(args.file, encoding="utf-8-sig", newline="") as f, \
            get_sessionmaker()() as session:
        result = import_csv(session, f, actor="cli")  # rolls back itself on any bad row
        session.commit()
    print(json.dumps(result, ensure_ascii=False))
    return 0 if not result["errors"] else 1


def _geo_resolve(args: argparse.Namespace) -> int:
    from app.geo.cli import run

    if args.input:
        with open(args.input, encoding="utf-8", errors="replace") as f:
            return run(f, sys.stdout)
    return run(sys.stdin, sys.stdout)


def _audit_verify(_: argparse.Namespace) -> int:
    from app import audit
    from app.config import get_settings
    from app.db import get_sessionmaker
    from app.migrate import upgrade_head

    upgrade_head()
    checkpoint = get_settings().audit_checkpoint_path
    factory = get_sessionmaker()
    with factory() as session, session.begin():
        audit.seal_pending(session, wait=True, checkpoint_path=checkpoint)
    with factory() as session, session.begin():
        # one snapshot for the whole walk, so a sealer at work meanwhile cannot make the
        # chain look cut off
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"}
                           if session.get_bind().dialect.name == "postgresql" else {})
        result = audit.verify(session, checkpoint_path=checkpoint)
    print(json.dumps(result.to_dict(), ensure_ascii=False))
    return 0 if result.ok else 1


def _worker(_: argparse.Namespace) -> int:
    """The scheduler and webhook delivery as a process of their own."""
    import signal

    from app.config import get_settings
    from app.db import get_sessionmaker
    from app.observability import configure_logging
    from app.scheduler.runner import Scheduler

    prepare_database()
    settings = get_settings()
    configure_logging(settings.log_level)
    scheduler = Scheduler(get_sessionmaker(), settings)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        scheduler.loop()
    return 0


def _migrate(_: argparse.Namespace) -> int:
    prepare_database()
    return 0


def _openapi(_: argparse.Namespace) -> int:
    from app.openapi import openapi_yaml

    sys.stdout.write(openapi_yaml())
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hotline-intake", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, seed the default directory if empty, serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="uvicorn worker processes (PostgreSQL only; metrics are per process)")
    serve.set_defaults(func=_serve)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys_cmd", required=True)
    create = keys.add_parser("create", help="create a key; prints it once")
    create.add_argument("--role", required=True,
                        choices=["callcentre", "app", "agency", "admin"])
    create.add_argument("--agency", help="agency code (role agency)")
    create.add_argument("--name")
    create.set_defaults(func=_keys_create)
    keys.add_parser("list", help="list keys (never the keys themselves)").set_defaults(
        func=_keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("id")
    revoke.set_defaults(func=_keys_revoke)

    directory = sub.add_parser("directory", help="agency directory").add_subparsers(
        dest="directory_cmd", required=True)
    imp = directory.add_parser("import", help="create or update agencies from a CSV file")
    imp.add_argument("file", help="CSV: code,name,kind,level,unit_code[,coverage][,active]")
    imp.set_defaults(func=_directory_import)

    geo = sub.add_parser("geo", help="address resolution").add_subparsers(dest="geo_cmd",
                                                                          required=True)
    resolve = geo.add_parser("resolve", help="JSON lines {address} in, location objects out")
    resolve.add_argument("--input", help="file of JSON lines (default: stdin)")
    resolve.set_defaults(func=_geo_resolve)

    aud = sub.add_parser("audit", help="audit trail").add_subparsers(dest="audit_cmd",
                                                                     required=True)
    aud.add_parser("verify", help="check the hash chain").set_defaults(func=_audit_verify)

    sub.add_parser("worker", help="run the scheduler and webhook delivery").set_defaults(
        func=_worker)
    sub.add_parser("migrate", help="migrate and seed").set_defaults(func=_migrate)
    sub.add_parser("openapi", help="print the OpenAPI document (YAML)").set_defaults(
        func=_openapi)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
