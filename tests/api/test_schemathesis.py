"""Schemathesis against the running service: no 5xx, every answer matches the schema."""

import subprocess

from tests.api.test_schema_and_docs import EXPECTED_OPERATIONS
from tests.service import REPO_DIR

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)


def test_every_operation_conforms_to_the_schema(demo_service, tmp_path):
    completed = subprocess.run(
        [
            str(REPO_DIR / ".venv" / "bin" / "st"),
            "run",
            f"{demo_service.base_url}/api/schema/",
            "--header",
            f"Authorization: Token {demo_service.token}",
            "--checks",
            CHECKS,
            "--max-examples",
            "30",
            "--workers",
            "1",
            "--seed",
            "20261125",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr
    assert " passed" in completed.stdout
    every = len(EXPECTED_OPERATIONS)
    assert f"API Operations:\n  Selected: {every}/{every}" in completed.stdout
