"""Request-scoped dependencies shared by the routers."""

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, app_settings
from app.db import get_session, get_sessionmaker

DbSession = Annotated[Session, Depends(get_session, scope="function")]


AppSettings = Annotated[Settings, Depends(app_settings)]


def side_sessions() -> sessionmaker[Session]:
    """Sessions for work committed apart from the request's transaction (idempotency claims,
    audit sealing). Tests override this to stay on their own connection."""
    return get_sessionmaker()


SideSessions = Annotated[sessionmaker[Session], Depends(side_sessions)]
