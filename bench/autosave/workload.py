"""What autosave's clients do: type into drafts and save them (README, Benchmarks).

Each `Draft` holds the last write the server accepted; after each slice every draft
is read back, and one whose stored version or text differs is a lost write.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.harness.loadgen import Connection, Phase, Recorder, Response, request_json
from bench.harness.server import Server

Connect = Callable[[], Connection]  # a keep-alive connection of the client's own
Client = Callable[..., Awaitable[None]]  # (recorder, connect, draft, seed, **options)

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


async def drafts_phase(
    target: Server,
    count: int,
    seed: int,
    client: Client,
    per_draft: int = 1,
    **options: object,
) -> Phase:
    """A `Phase` on `count` new drafts of the bench user (on server.Server or
    profile.InProcess), `per_draft` clients `client(recorder, connect, draft, seed,
    **options)` on each, which open keep-alive connections of their own."""
    connection, drafts = target.connect(), []
    for number in range(seed, seed + count):
        payload = {"title": f"Bench draft {number}", "body": Typing(number).text}
        created = await request_json(connection, "POST", DRAFTS_PATH, payload, 201)
        drafts.append(Draft(created["id"], created["version"], **payload))
    await connection.close()

    async def mismatches() -> int:
        """Drafts whose stored version, body or title differ from the last accepted."""
        connection, wrong = target.connect(), 0
        for draft in drafts:
            stored = await request_json(connection, "GET", f"{DRAFTS_PATH}{draft.id}/")
            believed = (draft.version, draft.body, draft.title)
            wrong += (stored["version"], stored["body"], stored["title"]) != believed
        await connection.close()
        return wrong

    return Phase(
        lambda recorder: [
            client(recorder, target.connect, draft, 1000 * index + copy, **options)
            for index, draft in enumerate(drafts)
            for copy in range(per_draft)
        ],
        mismatches,
    )


async def saver(
    recorder: Recorder,
    connect: Connect,
    draft: Draft,
    seed: int,
    *,
    to: str = "autosave",
    interval: float | None = None,
) -> None:
    """Save the growing body, back to back or once every `interval` seconds as an
    editor's timer does: POSTed to the baseline view, or PATCHed to autosave with
    If-Match of the last version this client saw, as poster's editor does; a 412
    hands it the current version. In the conflict phase two of these share each
    draft, and `draft` holds the pair's newest accepted write."""
    typing, version, baseline = Typing(seed), draft.version, to == "baseline"
    path = f"{BASELINE_PATH if baseline else DRAFTS_PATH}{draft.id}/"
    connection = connect()
    async for due in recorder.ticks(interval, seed):
        text = typing.advance()
        request = ("POST" if baseline else "PATCH", path, {"body": text})
        headers = None if baseline else {"If-Match": f'"{version}"'}
        response = await recorder.timed(
            connection, request, outcome, headers=headers, due=due
        )
        if response is not None and response.status in (200, 412):
            version = etag_version(response)  # a 412 tags the current version
            if response.status == 200 and version > draft.version:
                draft.version, draft.body = version, text
    await connection.close()


async def merge_pair(
    recorder: Recorder, connect: Connect, draft: Draft, seed: int
) -> None:
    """Body and title saved at once, each on a connection of its own, on the same
    base version: every other request merges."""
    connections, typing = (connect(), connect()), Typing(seed)
    path, number = f"{DRAFTS_PATH}{draft.id}/", 0
    async for _ in recorder.ticks(None, seed):
        number += 1
        changes = {"body": typing.advance(), "title": f"Title {seed} round {number}"}
        requests = [("PATCH", path, {name: value}) for name, value in changes.items()]
        headers = {"If-Match": f'"{draft.version}"'}
        sends = zip(connections, requests, strict=True)
        responses = await asyncio.gather(
            *(recorder.timed(*send, outcome, headers=headers) for send in sends)
        )
        for response, (name, value) in zip(responses, changes.items(), strict=True):
            if response is not None and response.status == 200:
                setattr(draft, name, value)
                draft.version = max(draft.version, etag_version(response))
    for connection in connections:
        await connection.close()
