"""The error shape every API answer that is not a success uses (see config.api_errors).

{"error": {"code": "<snake_case>", "message": "<for a person>", ...}}
"""

from typing import Any


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}
