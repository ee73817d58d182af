"""Load on `risk serve` (CDS Hooks patient-view): wrk from Debian against 2 uvicorn workers on 127.0.0.1.

    apt-get install wrk            # scripts/setup.sh test installs it
    nice -n 10 .venv/bin/python benchmarks/cds_load.py [seconds=60] [connections=16]

1. In-process, per stage (request parsing, record, assess, card, audit, and the JWT check), the card path
   (assess(card_only=True)) beside the full Assessment (what-if and peers too) as the baseline, with the ratio.
2. Live: `risk serve --workers 2`, pre-minted ES384 JWTs (one per request: a jti is accepted once), the French
   sample patients' prefetch bodies in turn, each under 20 patient ids, wrk for `seconds`; prints requests/s,
   p50, p99 and non-2xx count.
The machine is shared with other agents: figures vary from run to run; say so when quoting them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from risk.assess.assessment import assess  # noqa: E402
from risk.assess.snapshot import snapshot  # noqa: E402
from risk.cds.config import load_config  # noqa: E402
from risk.cds.request import HookRequest, from_prefetch  # noqa: E402
from risk.cds.service import create_app  # noqa: E402
from risk.cds.trust import Verifier  # noqa: E402
from risk.models.registry import load_all  # noqa: E402
from risk.record.load import record_from_resources  # noqa: E402
from risk.settings import Settings  # noqa: E402
from tests.cds_fixtures import SERVICE_PATH, hook_request, mint, new_keys, prefetch, write_trust_file  # noqa: E402
from tests.cds_live import free_port, live_service  # noqa: E402
from tests.paths import SAMPLES  # noqa: E402

PATIENTS = sorted(SAMPLES.glob("fr-*.json"))
THREADS = 2
COPIES = 20  # each sample patient under this many ids: a batch holds different patients, as in a real clinic


def bodies_of_many_patients(copies: int = COPIES) -> list[str]:
    """The French sample patients' patient-view requests, each under `copies` patient ids (`<id>-<k>`), in turn."""
    out = []
    for k in range(copies):
        for p in PATIENTS:
            pid, pre = prefetch(p)
            out.append(json.dumps(hook_request(pid, pre)).replace(f'"{pid}"', f'"{pid}-{k}"').replace(
                f"Patient/{pid}", f"Patient/{pid}-{k}"))
    return out
LUA = """
-- one interpreter per wrk thread: thread t takes tokens t, t + threads, t + 2 * threads... (a jti is used once)
local tokens, bodies, k, counter = {}, {}, 0, 0
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  offset = id
end
request = function()
  local index = k * %(threads)d + offset
  k = k + 1
  local headers = {["Authorization"] = "Bearer " .. tokens[index %% #tokens + 1],
                   ["Content-Type"] = "application/json"}
  return wrk.format("POST", "%(path)s", headers, bodies[index %% #bodies + 1])
end
"""


def in_process(keys, folder: Path, rounds: int = 4) -> None:  # noqa: ANN001
    """Per-stage milliseconds per call of the card path, one call at a time (the baseline) and 16 concurrent calls
    (micro-batched, risk.cds.batch), side by side; then the full Assessment beside the card path."""
    import asyncio

    import httpx

    base = "http://testserver"
    config = load_config(write_trust_file(folder / "inproc", keys, public_url=base))
    models = load_all()
    bodies = [json.loads(b) for b in bodies_of_many_patients()]

    async def calls(app, n: int, offset: int = 0) -> None:  # noqa: ANN001
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as client:
            answers = await asyncio.gather(*(client.post(
                SERVICE_PATH, json=bodies[(offset + i) % len(bodies)],
                headers={"Authorization": f"Bearer {mint(keys, base + SERVICE_PATH)}"}) for i in range(n)))
        assert all(r.status_code == 200 for r in answers), answers[0].text

    results = {}
    for concurrency in (1, 16):
        app = create_app(config, models=models, settings=Settings(audit_log=folder / f"inproc-{concurrency}.log"))
        asyncio.run(calls(app, concurrency))  # warm-up
        app.state.stages.totals.clear()
        app.state.stages.calls = 0
        batches0 = app.state.batcher.batches
        n = 0
        t0 = time.perf_counter()
        for _ in range(rounds if concurrency > 1 else rounds * 4):
            asyncio.run(calls(app, concurrency, offset=n))
            n += concurrency
        wall = (time.perf_counter() - t0) / n
        stages = app.state.stages
        per_call = {k: v / stages.calls * 1000 for k, v in stages.totals.items()}
        results[concurrency] = (per_call, wall * 1000, n / (app.state.batcher.batches - batches0))
    verifier = Verifier(config)
    tokens = [mint(keys, base + SERVICE_PATH) for _ in range(200)]
    t0 = time.perf_counter()
    for t in tokens:
        verifier.verify(f"Bearer {t}", base + SERVICE_PATH)
    jwt_ms = (time.perf_counter() - t0) / len(tokens) * 1000
    one, many = results[1], results[16]
    print(f"in-process card path over {len(bodies)} patients ({len(PATIENTS)} samples x {COPIES} ids), ms per call:"
          " one call at a time (baseline) | 16 concurrent calls (micro-batched) | ratio")
    for stage in one[0]:
        a, b = one[0][stage], many[0].get(stage, 0.0)
        print(f"  {stage:<8} {a:8.1f} | {b:8.1f} | {b / a if a else float('nan'):5.2f}")
    print(f"  {'jwt':<8} {jwt_ms:8.1f}   (ES384 verify + jti insert, per call either way)")
    print(f"  {'wall':<8} {one[1]:8.1f} | {many[1]:8.1f} | {many[1] / one[1]:5.2f}   (one process, one core)")
    print(f"  mean batch size: {one[2]:.1f} | {many[2]:.1f}")
    records = [record_from_resources(from_prefetch(HookRequest.model_validate(b))) for b in bodies[:len(PATIENTS)]]
    snaps = [snapshot(r, date.today()) for r in records]
    timings = {}
    for label, card_only in (("full Assessment (baseline)", False), ("card path", True)):
        t0 = time.perf_counter()
        for s in snaps:
            assess(s, models, card_only=card_only)
        timings[label] = (time.perf_counter() - t0) / len(snaps) * 1000
    base_ms = timings["full Assessment (baseline)"]
    for label, ms in timings.items():
        print(f"assess, {label:<28} {ms:8.1f} ms   ratio to baseline {ms / base_ms:5.2f}")


def live(keys, folder: Path, seconds: int, connections: int) -> None:  # noqa: ANN001
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed: apt-get install wrk (scripts/setup.sh test does it)")
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_trust_file(folder / "live", keys, public_url=base)
    exp = seconds + 600
    n_tokens = max(2000, seconds * 300)
    (folder / "tokens.txt").write_text("\n".join(mint(keys, base + SERVICE_PATH, exp_in=exp)
                                                 for _ in range(n_tokens)) + "\n", encoding="utf-8")
    (folder / "bodies.txt").write_text("\n".join(bodies_of_many_patients()) + "\n", encoding="utf-8")
    script = folder / "cds.lua"
    script.write_text(LUA % {"tokens": folder / "tokens.txt", "bodies": folder / "bodies.txt",
                             "path": SERVICE_PATH, "threads": THREADS}, encoding="utf-8")
    with live_service(config, port, workers=2, env={"RISK_AUDIT_LOG": str(folder / "live-audit.log")}):
        run = subprocess.run([wrk, f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                              "-s", str(script), base + SERVICE_PATH], capture_output=True, text=True, check=True)
    out = run.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    print(f"live, 2 workers, {connections} connections, {seconds} s: {rps.group(1) if rps else '?'} requests/s, "
          f"p50 {p50.group(1) if p50 else '?'}, p99 {p99.group(1) if p99 else '?'}, "
          f"non-2xx {non2xx.group(1) if non2xx else 0}, socket errors: {errors.group(1) if errors else 'none'}")
    print("(target of the issue: >= 100 requests/s, p99 <= 300 ms, zero errors; machine shared with other agents)")
    print(out)


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    keys = new_keys()
    with tempfile.TemporaryDirectory(prefix="cds-load-") as tmp:
        folder = Path(tmp)
        in_process(keys, folder)
        live(keys, folder, seconds, connections)


if __name__ == "__main__":
    main()
