"""What autosave's clients do: type into drafts and save them, each on its own draft.

- baseline: POST the growing body to the plain Django view (baseline.py).
- autosave: PATCH it with If-Match from the last ETag, as poster's editor does.
- merge: two clients per draft send, at once and on the same base version, one the
  body and one the title; one write takes the fast path, the other merges.
- conflict: two clients per draft both type into the body, each on the last version
  it saw; a 412 hands the current version over and the client retries on it.

Each `Draft` holds the last write the server accepted; after each slice every draft
is read back, and one whose stored version or text differs is a lost write.
"""

import asyncio
import functools
import json
import random
from dataclasses import dataclass

from bench.harness.loadgen import Connection, Phase, Recorder, Response

DRAFTS_PATH = "/api/v1/drafts/"
BASELINE_PATH = "/bench/baseline/"
START_BODY_CHARACTERS, MAX_BODY_CHARACTERS = 2048, 4096
TYPED_TEXT = (
    "the draft grows as someone types a few words every second while the client "
    "saves what is on screen with the version it last saw so nothing gets lost"
)
WORDS = TYPED_TEXT.split()


class Typing:
    """A body of about 2 KB that grows a word per save, back to 2 KB past 4 KB."""

    def __init__(self, seed: int) -> None:
        self._random, words = random.Random(seed), []
        while sum(len(word) + 1 for word in words) < START_BODY_CHARACTERS:
            words.append(self._random.choice(WORDS))
        self.text = self._start = " ".join(words)

    def advance(self) -> str:
        self.text += " " + self._random.choice(WORDS)
        if len(self.text) > MAX_BODY_CHARACTERS:
            self.text = self._start
        return self.text


@dataclass
class Draft:
    """A draft as its clients believe it is stored: the last accepted write."""

    id: str
    version: int
    body: str
    title: str


def etag_version(response: Response) -> int:
    return int((response.headers.get("etag") or '"0"').strip('W/"'))


def outcome(response: Response) -> str:
    if response.status == 200:
        return "merged" if b'"merged":true' in response.body else "fast"
    return f"http {response.status}"


class Drafts:
    """The server's drafts API as the bench user."""

    def __init__(self, target) -> None:
        self.target = target  # server.Server, or profile.InProcess

    def connect(self) -> Connection:
        return self.target.connect()

    async def create(self, count: int, *, seed: int) -> list[Draft]:
        connection, drafts = self.connect(), []
        for number in range(seed, seed + count):
            payload = {"title": f"Bench draft {number}", "body": Typing(number).text}
            body = json.dumps(payload).encode()
            response = await connection.request("POST", DRAFTS_PATH, body=body)
            if response.status != 201:
                raise RuntimeError(f"create draft: {response.status} {response.body}")
            created = json.loads(response.body)
            drafts.append(Draft(created["id"], created["version"], **payload))
        await connection.close()
        return drafts

    async def mismatches(self, drafts: list[Draft]) -> int:
        """Drafts whose stored version, body or title differ from the last accepted."""
        connection, wrong = self.connect(), 0
        for draft in drafts:
            response = await connection.request("GET", f"{DRAFTS_PATH}{draft.id}/")
            if response.status != 200:
                raise RuntimeError(f"read draft: {response.status} {response.body}")
            stored = json.loads(response.body)
            believed = (draft.version, draft.body, draft.title)
            wrong += (stored["version"], stored["body"], stored["title"]) != believed
        await connection.close()
        return wrong

    def phase(
        self, drafts: list[Draft], client, per_draft: int = 1, **options
    ) -> Phase:
        """Run `client(recorder, connection, draft, seed, **options)`, `per_draft`
        of them on each draft, each on a keep-alive connection of its own."""

        async def run(recorder: Recorder, draft: Draft, seed: int) -> None:
            connection = self.connect()
            await client(recorder, connection, draft, seed, **options)
            await connection.close()

        return Phase(
            lambda recorder: [
                run(recorder, draft, 1000 * index + copy)
                for index, draft in enumerate(drafts)
                for copy in range(per_draft)
            ],
            functools.partial(self.mismatches, drafts),
        )


async def saver(
    recorder: Recorder,
    connection: Connection,
    draft: Draft,
    seed: int,
    *,
    to: str,
    interval: float | None = None,
) -> None:
    """Save the growing body to the baseline view or to autosave (`to`), back to back
    or, with `interval`, once every `interval` seconds, as an editor's timer does."""
    typing = Typing(seed)
    path = f"{BASELINE_PATH if to == 'baseline' else DRAFTS_PATH}{draft.id}/"
    async for due in recorder.ticks(interval, seed):
        text = typing.advance()
        if to == "baseline":
            request, headers = ("POST", path, {"body": text}), None
        else:
            request = ("PATCH", path, {"body": text})
            headers = {"If-Match": f'"{draft.version}"'}
        response = await recorder.timed(
            connection, request, outcome, headers=headers, due=due
        )
        if response is not None and response.status == 200:
            draft.version, draft.body = etag_version(response), text


async def merge_pair(
    recorder: Recorder, connection: Connection, draft: Draft, seed: int, *, other
) -> None:
    """Body (on `connection`) and title (on `other()`) saved at once on the same
    base version: every other request merges."""
    title_connection, typing = other(), Typing(seed)
    path, number = f"{DRAFTS_PATH}{draft.id}/", 0
    async for _ in recorder.ticks(None, seed):
        number += 1
        text, title = typing.advance(), f"Title {seed} round {number}"
        headers = {"If-Match": f'"{draft.version}"'}
        body_response, title_response = await asyncio.gather(
            recorder.timed(
                connection, ("PATCH", path, {"body": text}), outcome, headers=headers
            ),
            recorder.timed(
                title_connection,
                ("PATCH", path, {"title": title}),
                outcome,
                headers=headers,
            ),
        )
        accepted = [
            each
            for each in (body_response, title_response)
            if each is not None and each.status == 200
        ]
        if body_response in accepted:
            draft.body = text
        if title_response in accepted:
            draft.title = title
        draft.version = max(draft.version, *map(etag_version, accepted))
    await title_connection.close()


async def conflict_client(
    recorder: Recorder, connection: Connection, draft: Draft, seed: int
) -> None:
    """Type into the body on the last version seen; after a 412 retry on the current.
    Two of these share each draft; `draft` holds the pair's newest accepted write."""
    typing, path, version = Typing(seed), f"{DRAFTS_PATH}{draft.id}/", draft.version
    async for _ in recorder.ticks(None, seed):
        text = typing.advance()
        headers = {"If-Match": f'"{version}"'}
        response = await recorder.timed(
            connection, ("PATCH", path, {"body": text}), outcome, headers=headers
        )
        if response is not None and response.status == 200:
            version = etag_version(response)
            if version > draft.version:
                draft.version, draft.body = version, text
        elif response is not None and response.status == 412:
            version = json.loads(response.body)["error"]["current"]["version"]
