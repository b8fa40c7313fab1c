"""Schemathesis against the running service, as a client author would run it.

`--checks all` (no 5xx; statuses, headers and bodies as documented; schema-valid
requests accepted, schema-invalid ones refused; a missing required header refused)
over every phase: the schema's examples, coverage of its boundaries, fuzzing, and
stateful sequences that follow its links. schemathesis.toml in the checkout says
which documented statuses a valid request may meet (409, 412, 422, 428, 429).

One run uses a fixed seed for a stable CI result; the other a new seed each time,
printed (and named in the failure message) so a failure can be replayed with
`st run ... --seed N`.
"""

import secrets
import subprocess

import requests

from tests.service import REPO_DIR

FIXED_SEED = 20261125
# Bounded so that both runs fit in `make test` on a 2-core machine (about a minute
# each there).
MAX_EXAMPLES = 15
PHASES = ("examples", "coverage", "fuzzing", "stateful")


def schemathesis_run(service, report_dir, *, seed: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(REPO_DIR / ".venv" / "bin" / "st"),
            "run",
            f"{service.base_url}/api/schema/",
            "--header",
            # A user of its own per run: what it leaves behind (pending leases,
            # drafts) never reaches another test's limits.
            f"Authorization: Token {service.api_user(f'schemathesis-{seed}')}",
            "--checks",
            "all",
            "--phases",
            ",".join(PHASES),
            "--max-examples",
            str(MAX_EXAMPLES),
            # One worker: with two, Hypothesis's threads sometimes hit CPython 3.11's
            # "AST constructor recursion depth mismatch" (gh-106905), a crash of
            # the tool's own, not a finding about poster.
            "--workers",
            "1",
            "--seed",
            str(seed),
            "--no-color",
            "--report-dir",
            str(report_dir),
        ],
        cwd=REPO_DIR,  # where schemathesis.toml is found
        capture_output=True,
        text=True,
        timeout=600,
    )


def assert_clean_run(service, completed: subprocess.CompletedProcess, seed: int):
    replay = f"replay: st run <base>/api/schema/ --checks all --seed {seed}"
    output = completed.stdout
    failures = output[output.find("FAILURES") :] if "FAILURES" in output else output
    assert completed.returncode == 0, (
        f"seed {seed} ({replay})\n" + failures[:16000] + completed.stderr
    )
    schema = requests.get(f"{service.base_url}/api/schema/?format=json", timeout=30)
    every = sum(len(methods) for methods in schema.json()["paths"].values())
    assert (
        f"API Operations:\n  Selected: {every}/{every}\n  Tested: {every}\n" in output
    )
    for phase in PHASES:
        assert f"✅ {phase.capitalize()}" in output, (phase, output[-4000:])
    assert f"Seed: {seed}" in output
    assert "failures" not in output.rsplit("SUMMARY", 1)[1]


def test_schemathesis_all_checks_with_a_fixed_seed(demo_service, tmp_path):
    completed = schemathesis_run(demo_service, tmp_path, seed=FIXED_SEED)

    assert_clean_run(demo_service, completed, FIXED_SEED)


def test_schemathesis_all_checks_with_a_new_seed(demo_service, tmp_path, capsys):
    seed = secrets.randbelow(2**31)
    with capsys.disabled():
        print(f"\nSchemathesis seed for this run: {seed}")

    completed = schemathesis_run(demo_service, tmp_path, seed=seed)

    assert_clean_run(demo_service, completed, seed)
