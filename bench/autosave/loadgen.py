"""The load generator: closed-loop clients on one asyncio loop, one connection each.

Phases, back to back against one server, each on drafts of its own:

- baseline: each client POSTs its own draft's body to the plain Django view.
- autosave: each client PATCHes its own draft, If-Match chained from the last ETag.
- paced: the autosave clients again, but each on a timer, together offering a fixed
  rate, once per rate: by default 0.25x, 0.5x and 0.75x (the throughput target) the
  baseline's requests/s. The latency autosave gives at each load, rather than at
  saturation, where a closed loop's latency is only clients / throughput.
- merge: two clients per draft send, at once and on the same base version, one the
  body and one the title; one write takes the fast path, the other merges.
- conflict: two clients per draft both type into the body, each on the last version
  it saw; a 412 hands the current version over and the client retries on it.

Every phase runs `warmup` seconds unrecorded, then `seconds` recorded; baseline and
autosave alternate in rounds that split that time, so that whatever else runs on the
machine weighs on both alike. After each stretch every draft is read back: its
version and text must be the last ones a client was told were saved, so no accepted
edit was lost.
"""

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.autosave import clients
from bench.autosave.workload import CpuMeter, Draft, Recorder, summarize

PHASES = ("baseline", "autosave", "paced", "merge", "conflict")
PACED_FRACTIONS_OF_BASELINE = (0.25, 0.5, 0.75)

Client = Callable[[clients.Bench, Recorder, Draft, int], Awaitable[None]]


@dataclass
class Slice:
    """One recorded stretch of a phase: its latencies, CPU use and lost writes."""

    latencies: dict[str, list[float]]
    seconds: float
    cpu: dict[str, float]
    lost_writes: int


async def run_slice(
    bench: clients.Bench,
    client: Client,
    drafts: list[Draft],
    *,
    clients_per_draft: int,
    warmup: float,
    seconds: float,
    cpu: CpuMeter,
) -> Slice:
    recorder = Recorder(warmup=warmup, seconds=seconds)
    meter = asyncio.create_task(cpu.measure(recorder))
    running = [
        client(bench, recorder, draft, 1000 * index + copy)
        for index, draft in enumerate(drafts)
        for copy in range(clients_per_draft)
    ]
    await asyncio.wait_for(asyncio.gather(*running), warmup + seconds + 30)
    await meter
    lost_writes = await bench.mismatches(drafts)
    return Slice(dict(recorder.latencies), seconds, cpu.result, lost_writes)


def combine(slices: list[Slice]) -> dict:
    """A phase's figures over all its slices: latencies pooled, CPU time-weighted."""
    seconds = sum(part.seconds for part in slices)
    by_outcome: dict[str, list[float]] = {}
    for part in slices:
        for outcome, values in part.latencies.items():
            by_outcome.setdefault(outcome, []).extend(values)
    every = [value for values in by_outcome.values() for value in values]
    return {
        "all": summarize(every, seconds),
        "by_outcome": {
            outcome: summarize(values, seconds)
            for outcome, values in sorted(by_outcome.items())
        },
        "round_rps": [
            round(sum(map(len, part.latencies.values())) / part.seconds, 1)
            for part in slices
        ],
        "lost_writes": sum(part.lost_writes for part in slices),
        **{
            name: round(
                sum(part.cpu[name] * part.seconds for part in slices) / seconds, 2
            )
            for name in slices[0].cpu
        },
    }


def _phase_clients(
    name: str, *, client_count: int, paced_rps: float | None
) -> tuple[Client, int, int]:
    """The client coroutine, the number of drafts and the clients per draft."""
    if name == "baseline":
        return clients.baseline_client, client_count, 1
    if name == "paced" and paced_rps:
        interval = client_count / paced_rps
        return (
            functools.partial(clients.autosave_client, interval=interval),
            client_count,
            1,
        )
    if name == "merge":  # each merge_pair drives two connections
        return clients.merge_pair, client_count // 2, 1
    if name == "conflict":
        return clients.conflict_client, client_count // 2, 2
    return clients.autosave_client, client_count, 1


async def drive(
    *,
    port: int,
    token: str,
    server_pid: int,
    database: str,
    client_count: int,
    phases: list[str],
    rounds: int,
    warmup: float,
    seconds: float,
    paced_rates: list[float] | None,
    before_phase: Callable[[], None],
) -> dict:
    """Run `phases` in order and return each one's figures.

    Baseline and autosave alternate in `rounds` slices (warm-up and recorded time
    split evenly), so that load from anything else on the machine falls on both
    alike. The paced phase runs once per rate in `paced_rates` (default: fractions
    of the baseline's req/s), as "paced 1", "paced 2", ... `before_phase` runs, in
    a thread, before every slice.
    """
    bench = clients.Bench(port=port, token=token)
    drafts: dict[str, list[Draft]] = {}

    async def measure(
        name: str,
        *,
        round_number: int,
        round_count: int,
        paced_rps: float | None = None,
    ) -> Slice:
        client, draft_count, per_draft = _phase_clients(
            name, client_count=client_count, paced_rps=paced_rps
        )
        if name not in drafts:
            seed = 10_000 * (PHASES.index(name) + 1)
            drafts[name] = await bench.create_drafts(draft_count, seed=seed)
        await asyncio.to_thread(before_phase)
        label = f" round {round_number}/{round_count}" if round_count > 1 else ""
        rate = f", offered {paced_rps:.0f} req/s" if name == "paced" else ""
        print(
            f"{name}{label}: {warmup / round_count:g} s warm-up, "
            f"{seconds / round_count:g} s{rate}",
            flush=True,
        )
        return await run_slice(
            bench,
            client,
            drafts[name],
            clients_per_draft=per_draft,
            warmup=warmup / round_count,
            seconds=seconds / round_count,
            cpu=CpuMeter(server_pid=server_pid, database=database),
        )

    interleaved = [name for name in ("baseline", "autosave") if name in phases]
    results: dict[str, dict] = {}
    for name in phases:
        if name in interleaved:
            if name != interleaved[0]:
                continue  # ran alongside the first of them
            slices: dict[str, list[Slice]] = {each: [] for each in interleaved}
            for round_number in range(1, rounds + 1):
                for each in interleaved:
                    slices[each].append(
                        await measure(
                            each, round_number=round_number, round_count=rounds
                        )
                    )
            results.update({each: combine(slices[each]) for each in interleaved})
            continue
        if name == "paced":
            rates = paced_rates or []
            if not rates and "baseline" in results:
                baseline_rps = results["baseline"]["all"]["rps"]
                rates = [f * baseline_rps for f in PACED_FRACTIONS_OF_BASELINE]
            if not rates:
                print("paced: skipped (give --paced-rps or run baseline first)")
            for number, rate in enumerate(rates, start=1):
                label = f"paced {number}"
                slice_ = await measure(
                    "paced", round_number=1, round_count=1, paced_rps=rate
                )
                results[label] = {**combine([slice_]), "offered_rps": round(rate, 1)}
            continue
        results[name] = combine([await measure(name, round_number=1, round_count=1)])
    return results
