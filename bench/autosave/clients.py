"""The benchmark's clients: one coroutine per kind, each with keep-alive connections.

Every client runs until its phase's recorded window ends, then closes its connection.
It keeps its `Draft` up to date with the last write the server accepted, so that after
the phase `Bench.mismatches` can read every draft back and count lost writes.
"""

import asyncio
import json
import random
import time
from collections.abc import Callable

from bench.autosave.http_client import Connection, Response
from bench.autosave.workload import Draft, Recorder, Typing

DRAFTS_PATH = "/api/v1/drafts/"
BASELINE_PATH = "/bench/baseline/"


def etag_version(response: Response) -> int:
    return int((response.header("etag") or '"0"').strip('W/"'))


def autosave_outcome(response: Response) -> str:
    if response.status == 200:
        return "merged" if b'"merged":true' in response.body else "fast"
    return f"http {response.status}"


def baseline_outcome(response: Response) -> str:
    return "ok" if response.status == 200 else f"http {response.status}"


class Bench:
    """The server under test, as seen by clients: its port and the user's token."""

    def __init__(self, *, port: int, token: str) -> None:
        self.port = port
        self.headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
        }

    def connect(self) -> Connection:
        return Connection("127.0.0.1", self.port, default_headers=self.headers)

    async def create_drafts(self, count: int, *, seed: int) -> list[Draft]:
        connection, drafts = self.connect(), []
        for number in range(count):
            body = Typing(seed + number).text
            payload = {"title": f"Bench draft {seed + number}", "body": body}
            response = await connection.request(
                "POST", DRAFTS_PATH, body=json.dumps(payload).encode()
            )
            if response.status != 201:
                raise RuntimeError(f"create draft: {response.status} {response.body}")
            created = json.loads(response.body)
            drafts.append(
                Draft(created["id"], created["version"], body, payload["title"])
            )
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

    async def timed(
        self,
        recorder: Recorder,
        connection: Connection,
        request: tuple[str, str, dict],
        outcome: Callable[[Response], str],
        *,
        version: int | None = None,
        scheduled_at: float | None = None,
    ) -> Response | None:
        """Send `(method, path, payload)` and record its latency under its outcome.

        With `scheduled_at` the latency runs from when the request was due, not from
        when it was sent: a server that falls behind a paced client is charged for
        the wait (no coordinated omission).
        """
        method, path, payload = request
        headers = {} if version is None else {"If-Match": f'"{version}"'}
        body = json.dumps(payload).encode()
        started = time.perf_counter() if scheduled_at is None else scheduled_at
        try:
            response = await connection.request(
                method, path, headers=headers, body=body
            )
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            recorder.record(
                f"error {type(error).__name__}", started, time.perf_counter()
            )
            return None
        recorder.record(outcome(response), started, time.perf_counter())
        return response


async def baseline_client(bench: Bench, recorder: Recorder, draft: Draft, seed: int):
    """POST the growing body to the plain Django view, back to back."""
    connection, typing = bench.connect(), Typing(seed)
    while recorder.is_running():
        text = typing.advance()
        request = ("POST", f"{BASELINE_PATH}{draft.id}/", {"body": text})
        response = await bench.timed(recorder, connection, request, baseline_outcome)
        if response is not None and response.status == 200:
            draft.version, draft.body = etag_version(response), text
    await connection.close()


async def autosave_client(
    bench: Bench,
    recorder: Recorder,
    draft: Draft,
    seed: int,
    *,
    interval: float | None = None,
):
    """PATCH the growing body with If-Match from the last ETag, back to back or paced.

    With `interval` the client saves once per `interval` seconds (from a random
    offset), as an editor on a timer does, instead of as fast as the server answers.
    """
    connection, typing = bench.connect(), Typing(seed)
    path = f"{DRAFTS_PATH}{draft.id}/"
    due = time.perf_counter() + random.Random(seed).uniform(0, interval or 0)
    while recorder.is_running():
        if interval is not None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        text = typing.advance()
        response = await bench.timed(
            recorder,
            connection,
            ("PATCH", path, {"body": text}),
            autosave_outcome,
            version=draft.version,
            scheduled_at=due if interval is not None else None,
        )
        due += interval or 0
        if response is not None and response.status == 200:
            draft.version, draft.body = etag_version(response), text
    await connection.close()


async def merge_pair(bench: Bench, recorder: Recorder, draft: Draft, seed: int):
    """Body and title saved at once on the same base: every other request merges."""
    body_connection, title_connection = bench.connect(), bench.connect()
    typing, round_number = Typing(seed), 0
    path = f"{DRAFTS_PATH}{draft.id}/"
    while recorder.is_running():
        round_number += 1
        text, title = typing.advance(), f"Title {seed} round {round_number}"
        body_response, title_response = await asyncio.gather(
            bench.timed(
                recorder,
                body_connection,
                ("PATCH", path, {"body": text}),
                autosave_outcome,
                version=draft.version,
            ),
            bench.timed(
                recorder,
                title_connection,
                ("PATCH", path, {"title": title}),
                autosave_outcome,
                version=draft.version,
            ),
        )
        if body_response is not None and body_response.status == 200:
            draft.body = text
        if title_response is not None and title_response.status == 200:
            draft.title = title
        draft.version = max(
            draft.version,
            *(
                etag_version(response)
                for response in (body_response, title_response)
                if response is not None and response.status == 200
            ),
        )
    await body_connection.close()
    await title_connection.close()


async def conflict_client(bench: Bench, recorder: Recorder, draft: Draft, seed: int):
    """Type into the body on the last version seen; after a 412 retry on the current.

    Two of these share each draft; `draft` holds the pair's newest accepted write.
    """
    connection, typing = bench.connect(), Typing(seed)
    path, version = f"{DRAFTS_PATH}{draft.id}/", draft.version
    while recorder.is_running():
        text = typing.advance()
        response = await bench.timed(
            recorder,
            connection,
            ("PATCH", path, {"body": text}),
            autosave_outcome,
            version=version,
        )
        if response is None:
            continue
        if response.status == 200:
            version = etag_version(response)
            if version > draft.version:
                draft.version, draft.body = version, text
        elif response.status == 412:
            version = json.loads(response.body)["error"]["current"]["version"]
    await connection.close()
