"""The one-way stack holds, and its contracts break when an app imports upward."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "core", "media_uploads", "drafts", "poster", "composer")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_project_keeps_every_contract():
    completed = lint_imports(ROOT)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout


@pytest.mark.parametrize(
    ("module", "upward_import", "broken_contract"),
    [
        ("media_uploads/services/leases.py", "import drafts.models", "One-way stack"),
        ("media_uploads/selectors.py", "import poster.models", "One-way stack"),
        ("drafts/services/lifecycle.py", "import poster.services", "One-way stack"),
        ("core/events.py", "import media_uploads.models", "One-way stack"),
        ("poster/apis.py", "import composer.views", "One-way stack"),
        ("core/locks.py", "import config.settings", "never by importing config"),
        ("drafts/selectors.py", "import rest_framework", "know no HTTP"),
    ],
)
def test_an_import_against_the_stack_breaks_a_contract(
    tmp_path, module, upward_import, broken_contract
):
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{upward_import}  # noqa\n")

    completed = lint_imports(tmp_path)

    assert completed.returncode == 1, completed.stdout
    assert "1 broken" in completed.stdout
    # The report wraps long contract names; read it as one line of words.
    report = " ".join(completed.stdout.split())
    assert report.count(" BROKEN") == 1
    verdict = re.search(re.escape(broken_contract) + r".*? (KEPT|BROKEN)\b", report)
    assert verdict is not None, report
    assert verdict.group(1) == "BROKEN"
