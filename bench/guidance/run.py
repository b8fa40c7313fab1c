"""Benchmark the guidance check: CPU per request for a community with 50 rules.

    .venv/bin/python bench/guidance/run.py [--requests 300] [--repeats 7]

Creates a throw-away PostgreSQL database (`test_<name of DATABASE_URL's database>`,
default `poster`), a community with `--rules` rules of every kind (phrases, RE2
regexes, lengths, domain lists, flair, media) and one with none (the baseline: the
same request with nothing to check), and a draft in each with a 2 KB body, and a
worst case with a 40,000-character body. Then, in this process, it sends
`POST /api/v1/drafts/{id}/check/` through Django's test client `--requests` times
per case and round, interleaving the cases in `--repeats` rounds, and measures the
process's CPU time (time.process_time: PostgreSQL's own CPU is not in it). A round
also times one check right after the rules changed (recompiling them).

Prints, per case, the median and the spread (min-max over rounds) of CPU ms per
request, the 50-rule check against the baseline (ratio, and the extra ms the rules
cost), and the target (< 5 ms of CPU for 50 rules). The database is dropped on exit.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no request log line per check

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

TARGET_CPU_MS = 5.0


def rules_of_every_kind(count: int) -> list[tuple[str, str, str]]:
    """`count` rules (kind, value, severity) cycling through realistic values."""
    pool = [
        ("title_min_length", "10", "block"),
        ("title_max_length", "200", "block"),
        ("title_banned_phrases", "upvote\nkarma\nplease like\nfollow me", "block"),
        ("title_required_phrases", "[oc]\n[meta]\n[question]", "warn"),
        ("title_regex", r"^\[[A-Za-z ]{2,20}\] \S", "warn"),
        ("body_policy", "optional", "block"),
        ("body_min_length", "50", "warn"),
        ("body_max_length", "20000", "block"),
        ("body_banned_phrases", "buy now\nfree money\nclick here\ndm me", "block"),
        ("body_required_phrases", "source:\ncredit:", "warn"),
        ("body_regex", r"(?i)\b(19|20)\d\d\b", "warn"),
        ("body_regex", r"(a+)+$", "warn"),
        ("link_domain_allowlist", "example.com\n*.example.org\nbücher.de", "block"),
        ("link_domain_denylist", "example.net\nspam.example.co.uk", "block"),
        ("flair_required", "", "block"),
        ("media_min_count", "0", "block"),
        ("media_max_count", "10", "block"),
    ]
    return [pool[index % len(pool)] for index in range(count)]


def body_of(length: int) -> str:
    sentence = "Shot at dusk from the old pier, with a tripod and a slow shutter. "
    return (sentence * (length // len(sentence) + 1))[:length]


def cpu_ms_per_request(client: APIClient, url: str, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        response = client.post(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} -> {response.status_code}: {response.content!r}")
    return (time.process_time() - started) * 1000 / requests


def cpu_ms_per_check(draft, author, checks: int) -> float:
    from poster.guidance import draft_guidance_check

    started = time.process_time()
    for _ in range(checks):
        draft_guidance_check(draft=draft, media_count=0, author=author)
    return (time.process_time() - started) * 1000 / checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="per case and round")
    parser.add_argument("--repeats", type=int, default=7, help="rounds")
    parser.add_argument("--rules", type=int, default=50)
    arguments = parser.parse_args()

    setup_test_environment()
    settings.API_THROTTLE_RATES = {}  # measure the check, not the counters
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(arguments)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(arguments: argparse.Namespace) -> None:
    from core.accounts import api_user_ensure
    from drafts.services import draft_create
    from poster.guidance import community_rules_touch
    from poster.models import Community, CommunityFlair, CommunityRule

    kinds = ["text", "link", "image", "gallery"]
    ruled = Community.objects.create(name="ruled", title="Ruled", allowed_kinds=kinds)
    bare = Community.objects.create(name="bare", title="Bare", allowed_kinds=kinds)
    flair = CommunityFlair.objects.create(community=ruled, text="OC")
    CommunityRule.objects.bulk_create(
        CommunityRule(
            community=ruled,
            kind=kind,
            value=value,
            severity=severity,
            message=f"Rule {index}: see the guidelines.",
            position=index,
        )
        for index, (kind, value, severity) in enumerate(
            rules_of_every_kind(arguments.rules)
        )
    )
    credentials = api_user_ensure(username="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {credentials.token}")

    drafts = {}

    def draft_url(community: Community, body_length: int) -> str:
        draft = draft_create(
            owner=credentials.user,
            changes={
                "kind": "text",
                "title": "[OC] Sunset over the bay",
                "body": body_of(body_length),
                "community": community.name,
                "flair": flair.id if community == ruled else None,
            },
        )
        url = f"/api/v1/drafts/{draft.id}/check/"
        drafts[url] = draft
        return url

    # Each ruled case against the bare community's draft of the same size.
    cases = {
        "baseline: no rules, 2 KB body": draft_url(bare, 2_000),
        f"{arguments.rules} rules, 2 KB body": draft_url(ruled, 2_000),
        "baseline: no rules, 40 KB body": draft_url(bare, 40_000),
        f"{arguments.rules} rules, 40 KB body": draft_url(ruled, 40_000),
    }
    baselines = {
        f"{arguments.rules} rules, 2 KB body": "baseline: no rules, 2 KB body",
        f"{arguments.rules} rules, 40 KB body": "baseline: no rules, 40 KB body",
    }
    results: dict[str, list[float]] = {name: [] for name in cases}
    checks: dict[str, list[float]] = {name: [] for name in cases}
    recompile: list[float] = []
    for url in cases.values():  # warm up: imports, caches, prepared statements
        cpu_ms_per_request(client, url, 20)
    for _ in range(arguments.repeats):
        for name, url in cases.items():
            results[name].append(cpu_ms_per_request(client, url, arguments.requests))
            checks[name].append(
                cpu_ms_per_check(drafts[url], credentials.user, arguments.requests)
            )
        community_rules_touch(community_id=ruled.id)
        recompile.append(cpu_ms_per_request(client, cases[list(cases)[1]], 1))

    print(
        f"guidance check, CPU ms (this process; median, min-max over "
        f"{arguments.repeats} rounds of {arguments.requests}); the machine is shared "
        "and noisy, so read the spread"
    )
    print("draft_guidance_check alone (the community's row, then the rules):")
    for name, values in checks.items():
        print(
            f"  {name:<34} {statistics.median(values):6.3f}  "
            f"({min(values):.3f}-{max(values):.3f})"
        )
    print("the whole POST /check/ request through Django's test client:")
    medians = {}
    for name, values in results.items():
        medians[name] = statistics.median(values)
        print(
            f"  {name:<34} {medians[name]:6.2f}  ({min(values):.2f}-{max(values):.2f})"
        )
    print(
        f"  {'first check after a change':<34} {statistics.median(recompile):6.2f}  "
        f"({min(recompile):.2f}-{max(recompile):.2f})  (recompiles the rules)"
    )
    for name, baseline_name in baselines.items():
        baseline = medians[baseline_name]
        ratios = [
            value / base
            for value, base in zip(results[name], results[baseline_name], strict=True)
        ]
        verdict = "met" if medians[name] < TARGET_CPU_MS else "MISSED"
        print(
            f"{name}: {medians[name] / baseline:.2f}x its baseline's CPU "
            f"(rounds {min(ratios):.2f}-{max(ratios):.2f}x), "
            f"+{medians[name] - baseline:.2f} ms for the rules; "
            f"target < {TARGET_CPU_MS} ms per request: {verdict} by the median "
            f"(worst round {max(results[name]):.2f} ms)"
        )


if __name__ == "__main__":
    main()
