"""The floor for bench/intake.py: FastAPI + SQLAlchemy + psycopg on the same PostgreSQL,
one row inserted and committed per request, nothing else."""

import os

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text

from app.db import make_engine

engine = make_engine(os.environ["BENCH_DB_URL"], pool_size=20)
with engine.begin() as conn:
    conn.execute(text("CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, "
                      "body text NOT NULL)"))
app = FastAPI()


class Body(BaseModel):
    channel: str
    description: str = ""


@app.post("/v1/reports", status_code=201)
def insert(body: Body) -> dict[str, int]:
    with engine.begin() as conn:
        new_id = conn.execute(text("INSERT INTO bench_rows (body) VALUES (:b) RETURNING id"),
                              {"b": body.model_dump_json()}).scalar_one()
    return {"id": int(new_id)}


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
