"""openapi.yaml is generated from the app; a test fails when the committed file drifts."""

import yaml


def openapi_yaml() -> str:
    from app.main import create_app

    spec = create_app().openapi()
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)
