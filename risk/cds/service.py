"""The CDS Hooks 2.0 HTTP service (FastAPI): discovery, the patient-view hook and its feedback endpoint.

Every call, discovery included, is verified first (risk.cds.trust): 401 otherwise. The body is read with a cap
and a depth limit before any model sees it (400 / 413). The patient comes from the prefetch, else from the
issuer's allow-listed fhirServer with fhirAuthorization (timeout), else 412. The card path leaves out what-if
and peers (risk.assess.assessment.assess(card_only=True)). Each card and each feedback is one audit entry
(risk.audit): who (context.userId), from where (iss, tenant, client), the patient's pseudonym, the model
versions, what was shown, what was accepted or overridden and why. No log line holds a patient id or a token.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from risk import audit
from risk.assess.assessment import Assessment
from risk.assess.batch import assess_records
from risk.cds.batch import MicroBatcher
from risk.cds.card import cannot_assess_card, card, shown
from risk.cds.config import CdsConfig, load_config
from risk.cds.request import (
    PREFETCH,
    FeedbackRequest,
    HookRequest,
    NeedsData,
    RequestError,
    fhir_server_allowed,
    from_prefetch,
    parse_body,
)
from risk.cds.trust import Caller, TrustError, Verifier
from risk.cds.warmup import warm_up
from risk.errors import RiskError
from risk.fhir.base import PatientResources
from risk.models.registry import LoadedModel, load_all
from risk.record import PatientRecord
from risk.record.load import record_from_resources
from risk.settings import Settings

log = logging.getLogger(__name__)
SERVICE_ID = "risk-patient-view"
DISCOVERY = {"services": [{
    "hook": "patient-view", "id": SERVICE_ID, "title": "Cardiovascular risk (ESC)",
    "description": "10-year cardiovascular risk, ESC risk category and the next guideline steps, from the chart",
    "prefetch": PREFETCH, "usageRequirements": "Signed JWT (ES384 or RS384) from an allow-listed issuer",
}]}
# The OpenAPI description (off unless asked: create_app(openapi=True)); schemathesis tests against it.
_ERROR = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}}}}
_CARD = {"type": "object", "required": ["summary", "indicator", "source"], "properties": {
    "uuid": {"type": "string"}, "summary": {"type": "string", "maxLength": 139}, "detail": {"type": "string"},
    "indicator": {"enum": ["info", "warning", "critical"]},
    "source": {"type": "object", "required": ["label"], "properties": {"label": {"type": "string"}}},
    "suggestions": {"type": "array"}, "selectionBehavior": {"enum": ["at-most-one", "any"]},
    "links": {"type": "array"}}}
_REFUSALS = {"401": {"description": "untrusted or missing JWT", **_ERROR},
             "400": {"description": "not a CDS Hooks 2.0 request", **_ERROR},
             "413": {"description": "body over the cap", **_ERROR}}


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    """The pydantic schema with its `$defs` put in place (the models are not recursive), so that it stands alone
    inside the OpenAPI document."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/"):
            return _inline(defs[node["$ref"].removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _body_schema(model: type) -> dict[str, Any]:
    raw = model.model_json_schema()
    return {"required": True, "content": {"application/json": {"schema": _inline(raw, raw.get("$defs", {}))}}}


REQUEST_SCHEMA = {"requestBody": _body_schema(HookRequest), "responses": {
    "200": {"description": "one card", "content": {"application/json": {"schema": {
        "type": "object", "required": ["cards"], "properties": {"cards": {"type": "array", "items": _CARD}}}}}},
    "412": {"description": "neither the prefetch nor an allowed fhirServer gives the data", **_ERROR},
    **_REFUSALS}}
FEEDBACK_SCHEMA = {"requestBody": _body_schema(FeedbackRequest), "responses": {
    "200": {"description": "recorded", "content": {"application/json": {"schema": {"type": "object"}}}},
    **_REFUSALS}}
DISCOVERY_SCHEMA = {"responses": {"200": {"description": "the services", "content": {"application/json": {
    "schema": {"type": "object", "required": ["services"], "properties": {"services": {"type": "array"}}}}}},
    "401": _REFUSALS["401"] | {}}}


@dataclass(frozen=True, kw_only=True)
class CardJob:
    """One patient-view call waiting for its card."""

    resources: PatientResources
    lang: str
    who: Caller
    user: str | None


@dataclass(kw_only=True)
class Stages:
    """Seconds spent per stage of the card path, summed over the calls of this worker (benchmarks read it)."""

    totals: dict[str, float] = field(default_factory=dict)
    calls: int = 0

    def add(self, stage: str, seconds: float) -> None:
        self.totals[stage] = self.totals.get(stage, 0.0) + seconds


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


def _lang(request: Request, default: str) -> str:
    accept = (request.headers.get("accept-language") or "").lower()
    for part in accept.split(","):
        tag = part.split(";")[0].strip()[:2]
        if tag in ("fr", "en"):
            return tag
    return default


async def _body(request: Request, cap: int) -> Any:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > cap):
        raise RequestError("body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise RequestError("body too large")
        chunks.append(chunk)
    return parse_body(b"".join(chunks))


def create_app(config: CdsConfig, *, models: Mapping[str, LoadedModel], settings: Settings,
               verifier: Verifier | None = None, openapi: bool = False, warm: bool = False) -> FastAPI:
    """The service; `warm` scores a made-up patient first (risk.cds.warmup), as `risk serve` workers do."""
    if warm:
        warm_up(models, region=settings.region, guideline_set=settings.guideline_set, lang=settings.lang)
    app = FastAPI(title="risk CDS Hooks service", version="2.0", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json" if openapi else None)
    trust = verifier or Verifier(config)
    stages = Stages()
    app.state.stages = stages

    def caller(request: Request) -> Caller:
        return trust.verify(request.headers.get("authorization"), config.audience(request.url.path))

    async def guarded(request: Request, handler: Any) -> JSONResponse:
        try:
            who = caller(request)
        except TrustError as exc:
            return _error(401, str(exc))
        try:
            return await handler(who)
        except RequestError as exc:
            return _error(413 if str(exc) == "body too large" else 400, str(exc))
        except ValidationError as exc:
            return _error(400, f"the request does not follow CDS Hooks 2.0 ({exc.error_count()} problems)")
        except NeedsData as exc:
            return _error(412, str(exc))

    @app.get("/cds-services", openapi_extra=DISCOVERY_SCHEMA)
    async def discovery(request: Request) -> JSONResponse:
        async def handle(_: Caller) -> JSONResponse:
            return JSONResponse(DISCOVERY)
        return await guarded(request, handle)

    async def resources(req: HookRequest, who: Caller) -> PatientResources:
        pr = from_prefetch(req)
        if pr is not None:
            return pr
        url = fhir_server_allowed(req, who.issuer.fhir_servers)
        from risk.fhir.server import ServerSource  # lazy: fhirpy and aiohttp only for a fallback

        token = req.fhirAuthorization.access_token if req.fhirAuthorization else None
        try:
            return await ServerSource(url, token=token, timeout=config.fhir_timeout_s).fetch_patient(
                req.context.patientId)
        except RiskError as exc:  # its message may list other patients' ids: not passed on
            raise NeedsData(f"the patient could not be read from fhirServer ({type(exc).__name__})") from None

    def score_batch(jobs: Sequence[CardJob]) -> list[dict[str, Any] | BaseException]:
        """The cards of a micro-batch, in order (risk.cds.batch); each call audited, all in one append."""
        t0 = time.perf_counter()
        out: list[dict[str, Any] | BaseException | None] = [None] * len(jobs)
        records: dict[int, PatientRecord] = {}
        for k, job in enumerate(jobs):
            try:
                records[k] = record_from_resources(job.resources, source="cds")
            except RiskError as exc:
                out[k] = cannot_assess_card(exc, lang=job.lang)
        t1 = time.perf_counter()
        assessed: dict[int, Assessment] = {}
        split: dict[str, float] = {}
        for k, result in zip(records, assess_records([records[k] for k in records], date.today(), models,
                                                     region=settings.region, guideline_set=settings.guideline_set,
                                                     card_only=True, seconds=split), strict=True):
            if isinstance(result, RiskError):
                out[k] = cannot_assess_card(result, lang=jobs[k].lang)
            elif isinstance(result, Exception):
                out[k] = result  # this call answers 500; the batch goes on
            else:
                assessed[k] = result
        t2 = time.perf_counter()
        events = []
        for k, a in assessed.items():
            job = jobs[k]
            card_out = card(a, lang=job.lang, app_url=config.app_url)
            out[k] = card_out
            events.append({"action": "cds_patient_view", "patient_id": job.resources.patient_id, "user": job.user,
                           "source": job.who.source, "models": a.model_versions,
                           "shown": {**shown(a), "card": card_out["uuid"]}})
        t3 = time.perf_counter()
        audit.record_many(events, log=settings.audit_log, key=settings.audit_key)
        t4 = time.perf_counter()
        for stage, seconds in (("record", t1 - t0), ("features", split.get("features", 0.0)),
                               ("assess", t2 - t1 - split.get("features", 0.0)),
                               ("card", t3 - t2), ("audit", t4 - t3)):
            stages.add(stage, seconds)
        stages.calls += len(jobs)
        return [r if r is not None else RuntimeError("no card was made") for r in out]

    batcher: MicroBatcher[CardJob] = MicroBatcher(score_batch, max_batch=config.max_batch)
    app.state.batcher = batcher

    @app.post(f"/cds-services/{SERVICE_ID}", openapi_extra=REQUEST_SCHEMA)
    async def patient_view(request: Request) -> JSONResponse:
        async def handle(who: Caller) -> JSONResponse:
            t0 = time.perf_counter()
            req = HookRequest.model_validate(await _body(request, config.max_body_bytes))
            if req.hook != "patient-view":
                raise RequestError("this service answers the patient-view hook")
            pr = await resources(req, who)
            stages.add("request", time.perf_counter() - t0)
            out = await batcher.submit(CardJob(resources=pr, lang=_lang(request, settings.lang), who=who,
                                               user=req.context.userId))
            return JSONResponse({"cards": [out]})
        return await guarded(request, handle)

    @app.post(f"/cds-services/{SERVICE_ID}/feedback", openapi_extra=FEEDBACK_SCHEMA)
    async def feedback(request: Request) -> JSONResponse:
        async def handle(who: Caller) -> JSONResponse:
            fb = FeedbackRequest.model_validate(await _body(request, config.max_body_bytes))
            for item in fb.feedback:
                reason = item.overrideReason or {}
                coding = reason.get("reason") if isinstance(reason.get("reason"), dict) else {}
                why = " ".join(str(x)[:200] for x in (coding.get("code"), coding.get("display"),
                                                      reason.get("userComment")) if x) or None
                await run_in_threadpool(
                    audit.record, "cds_feedback", source=who.source, outcome=item.outcome, reason=why,
                    shown={"card": item.card, "accepted_suggestions": len(item.acceptedSuggestions or [])},
                    log=settings.audit_log, key=settings.audit_key)
            return JSONResponse({}, status_code=200)
        return await guarded(request, handle)

    return app


def app_from_env() -> FastAPI:
    """The app as `risk serve` (uvicorn workers) builds it: settings and configuration from the environment."""
    settings = Settings.from_env()
    if settings.cds_config is None:
        raise RiskError("RISK_CDS_CONFIG is not set: give the CDS configuration file (see risk/cds/config.py)")
    app = create_app(load_config(Path(settings.cds_config)), models=load_all(settings.models_dir),
                     settings=settings, warm=True)
    # Everything loaded so far (modules, models, rule tables) lives as long as the worker: out of the collector's
    # sight, a full collection no longer walks it, which took tens of milliseconds off the slowest calls.
    gc.collect()
    gc.freeze()
    return app
