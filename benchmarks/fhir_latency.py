"""Time to a patient's record from a FHIR server with latency injected on every request (issue 14, acceptance 4).

Starts SEKMET (scripts/fhir_server.sh) with a few sample patients and the EHR simulator of the tests in front
of it, which adds `--delay-ms` to every request. For each patient, best of N:
- fetch: `ServerSource.patient` (the Patient read and one paged search per resource type, concurrent over one
  connection pool, as the GP's page does);
- slowest single: each request of that fetch sent alone, one after the other; the slowest of them;
- $everything: `Patient/<id>/$everything` (one request, when the server offers it).
Prints seconds and the ratio fetch / slowest single request, at 0 ms (baseline) and at the injected delay,
side by side. The target is a ratio of at most 2 at 100 ms. Then the time a faulty server costs the GP's page
(3 s interactive budget): three 500s, a 503 with Retry-After: 1, a search that never answers.

    python benchmarks/fhir_latency.py [--delay-ms 100] [--repeat 3] [--patients 3]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from risk.fhir.server import PATIENT_RESOURCE_TYPES, ServerSource  # noqa: E402
from tests.conftest_server import SAMPLE_BUNDLES, SAMPLES, _free_port, _post_bundle, _sekmet  # noqa: E402
from tests.ehr_sim import EhrSimulator, Rule, Running  # noqa: E402


def best_of(repeat: int, fn):  # noqa: ANN001, ANN201 (a timing helper)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def slowest_single(sim: EhrSimulator, token: str, patient: str, page_size: int) -> float:
    """Each request of one fetch, alone and in turn (pages followed): the slowest one's time."""
    s = requests.Session()
    s.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"})
    urls = [(f"{sim.fhir}/Patient/{patient}", None)]
    urls += [(f"{sim.fhir}/{t}", {"patient": patient, "_count": str(page_size)}) for t in PATIENT_RESOURCE_TYPES]
    slowest = 0.0
    while urls:
        url, params = urls.pop(0)
        t = time.perf_counter()
        answer = s.get(url, params=params, timeout=60)
        slowest = max(slowest, time.perf_counter() - t)
        doc = answer.json()
        nxt = next((link["url"] for link in doc.get("link") or [] if link.get("relation") == "next"), None)
        if nxt:
            urls.append((nxt, None))
    return slowest


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=float, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--patients", type=int, default=3)
    args = ap.parse_args()
    sekmet = _sekmet()
    if sekmet is None:
        sys.exit("SEKMET is not installed (pip install sekmet-fhir==0.1.1)")
    work = Path(tempfile.mkdtemp(prefix="fhir-latency-"))
    token = secrets.token_urlsafe(16)
    env = {**os.environ, "RISK_TEST_FHIR_PORT": str(_free_port()), "RISK_TEST_FHIR_WORK": str(work),
           "RISK_TEST_FHIR_TOKEN": token, "SEKMET": sekmet}
    script = ROOT / "scripts" / "fhir_server.sh"
    url = subprocess.run(["bash", str(script), "start"], env=env, capture_output=True, text=True,
                         check=True).stdout.split()[-1]
    running = None
    try:
        ids = [_post_bundle(url, token, SAMPLES / name) for name in SAMPLE_BUNDLES[: args.patients]]
        sim = EhrSimulator(upstream=url, upstream_token=token)
        running = Running(sim)
        access, _ = sim.issue("system/*.rs", None)
        everything = requests.get(f"{sim.fhir}/Patient/{ids[0]}/$everything", timeout=60,
                                  headers={"Authorization": f"Bearer {access}"})
        has_everything = everything.status_code == 200
        print(f"SEKMET {url}; {len(ids)} patients; injected delay {args.delay_ms:g} ms per request; best of "
              f"{args.repeat}; $everything {'offered' if has_everything else 'not offered'}")
        print(f"{'patient':<38} {'delay':>6} {'requests':>8} {'fetch s':>8} {'slowest 1 s':>11} {'ratio':>6} "
              f"{'$everything s':>13}")
        for patient in ids:
            for delay in (0.0, args.delay_ms):
                sim.rules[:] = [Rule(match=".", kind="delay", delay_s=delay / 1000, times=0)] if delay else []
                source = ServerSource(sim.fhir, token=access)
                fetch = best_of(args.repeat, lambda s=source, p=patient: s.patient(p))
                single = min(slowest_single(sim, access, patient, source.page_size) for _ in range(args.repeat))
                ev = best_of(args.repeat, lambda p=patient: requests.get(
                    f"{sim.fhir}/Patient/{p}/$everything", headers={"Authorization": f"Bearer {access}"},
                    timeout=60)) if has_everything else float("nan")
                print(f"{patient:<38} {delay:>4g}ms {source.requests:>8} {fetch:>8.3f} {single:>11.3f} "
                      f"{fetch / single:>6.2f} {ev:>13.3f}")
        print("faults (100 ms injected too), time until the page can show the record or its partial notice:")
        patient = ids[0]
        for label, rule in (
            ("three 500s on Condition", Rule(match=r"^GET /Condition\?", status=500, times=3)),
            ("503 + Retry-After: 1 on Observation", Rule(match=r"^GET /Observation\?", status=503,
                                                         headers={"Retry-After": "1"})),
            ("Observation answers after 5 s (timeout 2 s)", Rule(match=r"^GET /Observation\?", kind="delay",
                                                                delay_s=5, times=0)),
        ):
            sim.rules[:] = [rule, Rule(match=".", kind="delay", delay_s=args.delay_ms / 1000, times=0)]
            source = ServerSource(sim.fhir, token=access, timeout=2)
            t = time.perf_counter()
            pr = source.patient(patient)
            gaps = ", ".join(f"{g.resource_type} {g.status} ({g.detail})" for g in pr.gaps) or "complete"
            print(f"  {label:<45} {time.perf_counter() - t:6.2f} s  {source.requests:>2} requests  {gaps}")
    finally:
        if running is not None:
            running.stop()
        subprocess.run(["bash", str(script), "stop"], env=env, capture_output=True, check=False)


if __name__ == "__main__":
    main()
