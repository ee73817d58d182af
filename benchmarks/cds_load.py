"""Load on `risk serve` (CDS Hooks patient-view): wrk from Debian against 2 uvicorn workers on 127.0.0.1.

    apt-get install wrk            # scripts/setup.sh test installs it
    nice -n 10 .venv/bin/python benchmarks/cds_load.py [seconds=60] [connections=8]

1. In-process, per stage (request parsing, record, assess, card, audit, and the JWT check), the card path
   (assess(card_only=True)) beside the full Assessment (what-if and peers too) as the baseline, with the ratio.
2. Live: `risk serve --workers 2`, pre-minted ES384 JWTs (one per request: a jti is accepted once), the French
   sample patients' prefetch bodies in turn, wrk for `seconds`; prints requests/s, p50, p99 and non-2xx count.
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


def in_process(keys, folder: Path, n: int = 30) -> None:  # noqa: ANN001
    """Per-stage seconds of the card path, and the full Assessment beside it (baseline)."""
    from fastapi.testclient import TestClient

    base = "http://testserver"
    config = load_config(write_trust_file(folder / "inproc", keys, public_url=base))
    models = load_all()
    app = create_app(config, models=models, settings=Settings(audit_log=folder / "inproc-audit.log"))
    client = TestClient(app)
    bodies = [hook_request(*prefetch(p)) for p in PATIENTS]
    client.post(SERVICE_PATH, json=bodies[0], headers={"Authorization": f"Bearer {mint(keys, base + SERVICE_PATH)}"})
    app.state.stages.totals.clear()
    app.state.stages.calls = 0
    t0 = time.perf_counter()
    for i in range(n):
        r = client.post(SERVICE_PATH, json=bodies[i % len(bodies)],
                        headers={"Authorization": f"Bearer {mint(keys, base + SERVICE_PATH)}"})
        assert r.status_code == 200, r.text
    wall = (time.perf_counter() - t0) / n
    stages = app.state.stages
    verifier = Verifier(config)
    tokens = [mint(keys, base + SERVICE_PATH) for _ in range(200)]
    t0 = time.perf_counter()
    for t in tokens:
        verifier.verify(f"Bearer {t}", base + SERVICE_PATH)
    jwt_ms = (time.perf_counter() - t0) / len(tokens) * 1000
    print(f"in-process card path, {n} calls over {len(bodies)} patients, ms per call:")
    for stage, seconds in stages.totals.items():
        print(f"  {stage:<8} {seconds / stages.calls * 1000:8.1f}")
    print(f"  {'jwt':<8} {jwt_ms:8.1f}   (ES384 verify + jti insert)")
    print(f"  {'total':<8} {wall * 1000:8.1f}   (wall, one client, one process)")
    records = [record_from_resources(from_prefetch(HookRequest.model_validate(b))) for b in bodies]
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
    (folder / "bodies.txt").write_text("\n".join(json.dumps(hook_request(*prefetch(p))) for p in PATIENTS) + "\n",
                                       encoding="utf-8")
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
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    keys = new_keys()
    with tempfile.TemporaryDirectory(prefix="cds-load-") as tmp:
        folder = Path(tmp)
        in_process(keys, folder)
        live(keys, folder, seconds, connections)


if __name__ == "__main__":
    main()
