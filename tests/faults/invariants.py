"""The invariant checker every fault drill ends with: it reads the database and storage.

    findings = check(stack.sql, stack.stored_objects(), accepted_edits)
    print(findings.report())
    assert findings.violations() == []

What it proves:
- no lost accepted edit: each draft holds the version and title of the last autosave
  a client saw answered 200;
- no asset outside a terminal state (uploaded/processing) once the bound has passed;
- no variant row without its object, no object under media/ without its row (objects
  queued for deletion, and those younger than the grace period, excepted), and no
  original missing for an asset that was uploaded and not deleted;
- no asset with two sets of variants (one row and one object per variant name);
- no post both published and waiting: a published post shows only ready media, and a
  post still waiting for media has some media not yet terminal.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

ORIGINALS_PREFIX = "uploads/"
VARIANTS_PREFIX = "media/"


@dataclass
class Findings:
    drafts_checked: int = 0
    assets_by_status: Counter = field(default_factory=Counter)
    failures_by_code: Counter = field(default_factory=Counter)
    posts_by_status: Counter = field(default_factory=Counter)
    variant_rows: int = 0
    stored_objects: int = 0
    lost_edits: list[str] = field(default_factory=list)
    unsettled_assets: list[str] = field(default_factory=list)
    rows_without_objects: list[str] = field(default_factory=list)
    objects_without_rows: list[str] = field(default_factory=list)
    missing_originals: list[str] = field(default_factory=list)
    duplicate_variants: list[str] = field(default_factory=list)
    published_and_waiting: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        return [
            f"{name}: {value}"
            for name, value in vars(self).items()
            if isinstance(value, list) and value
        ]

    def report(self) -> str:
        lines = [
            "invariant check:",
            f"  drafts with accepted edits: {self.drafts_checked}, lost: "
            f"{len(self.lost_edits)}",
            f"  assets: {dict(self.assets_by_status)}; unsettled: "
            f"{len(self.unsettled_assets)}; failures: {dict(self.failures_by_code)}",
            f"  posts: {dict(self.posts_by_status)}",
            f"  variant rows: {self.variant_rows}, objects: {self.stored_objects}; "
            f"rows without objects: {len(self.rows_without_objects)}, objects without "
            f"rows: {len(self.objects_without_rows)}, missing originals: "
            f"{len(self.missing_originals)}, duplicate variants: "
            f"{len(self.duplicate_variants)}",
            f"  published and waiting: {len(self.published_and_waiting)}",
        ]
        lines += [f"  VIOLATION {line}" for line in self.violations()]
        if not self.violations():
            lines.append("  all invariants hold")
        return "\n".join(lines)


def check(
    sql: Callable[..., list[tuple]],
    objects: dict[str, datetime],
    accepted_edits: dict[str, tuple[int, str]],
    *,
    grace_seconds: float = 30,
) -> Findings:
    findings = Findings(drafts_checked=len(accepted_edits))
    for draft_id, (version, title) in accepted_edits.items():
        stored = sql("select version, title from drafts_draft where id = %s", draft_id)
        if stored != [(version, title)]:
            findings.lost_edits.append(
                f"draft {draft_id}: accepted v{version} {title!r}, stored {stored}"
            )

    assets = sql(
        "select id::text, status, original_key, failure_code "
        "from media_uploads_mediaasset"
    )
    for asset_id, status, _, failure_code in assets:
        findings.assets_by_status[status] += 1
        if failure_code:
            findings.failures_by_code[failure_code] += 1
        if status in ("uploaded", "processing"):
            findings.unsettled_assets.append(f"{asset_id} {status}")

    findings.stored_objects = len(objects)
    for asset_id, status, original_key, _ in assets:
        if (
            status in ("uploaded", "processing", "ready")
            and original_key not in objects
        ):
            findings.missing_originals.append(f"{asset_id} {status} {original_key}")

    variants = sql("select asset_id::text, name, key from media_uploads_mediavariant")
    findings.variant_rows = len(variants)
    variant_keys = {key for _, _, key in variants}
    for name_count in Counter((asset, name) for asset, name, _ in variants).items():
        (asset, name), count = name_count
        if count > 1:
            findings.duplicate_variants.append(f"{asset} {name} x{count}")
    findings.rows_without_objects = sorted(variant_keys - objects.keys())
    pending_deletion = {key for (key,) in sql(
        "select key from media_uploads_storedobjectdeletion"
    )}  # fmt: skip
    grace_start = datetime.now(UTC) - timedelta(seconds=grace_seconds)
    for key, modified_at in objects.items():
        if not key.startswith(VARIANTS_PREFIX) or key in variant_keys:
            continue
        if key in pending_deletion or modified_at > grace_start:
            continue
        owner = sql(
            "select status, failure_code, processing_attempts "
            "from media_uploads_mediaasset where id::text = %s",
            key.split("/")[1],
        )
        findings.objects_without_rows.append(f"{key} (asset: {owner or 'deleted'})")
    # One set of variants: every object under media/<asset>/ is one of its rows.
    per_asset_objects = Counter(
        key.split("/")[1] for key in objects if key.startswith(VARIANTS_PREFIX)
    )
    per_asset_rows = Counter(asset for asset, _, _ in variants)
    for asset, count in per_asset_objects.items():
        if per_asset_rows.get(asset) and count > per_asset_rows[asset]:
            findings.duplicate_variants.append(
                f"{asset}: {count} objects for {per_asset_rows[asset]} variants"
            )

    posts = sql(
        "select p.id::text, p.status, "
        "count(a.id) filter (where a.status <> 'ready'), "
        "count(a.id) filter (where a.status in ('uploaded', 'processing')) "
        "from poster_post p left join poster_postmedia m on m.post_id = p.id "
        "left join media_uploads_mediaasset a on a.id = m.asset_id group by p.id"
    )
    for post_id, status, not_ready, in_flight in posts:
        findings.posts_by_status[status] += 1
        if status == "published" and not_ready:
            findings.published_and_waiting.append(
                f"{post_id} published, media not ready"
            )
        if status == "pending_media" and not in_flight:
            findings.published_and_waiting.append(f"{post_id} waiting on settled media")
    return findings
