"""ServerSource against a real FHIR server (SEKMET, see conftest_server.py) and against tiny loopback stubs
that fail on purpose (HTTP 500, a server that never answers, a closed port)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from risk.errors import ExitCode, RecordError, SourceError
from risk.fhir import open_source
from risk.fhir.bundle import BundleFileSource
from risk.fhir.server import PATIENT_RESOURCE_TYPES, ServerSource
from tests.conftest_server import FhirTestServer


def _counts(resources: list[dict]) -> Counter:
    return Counter(r["resourceType"] for r in resources if r["resourceType"] in PATIENT_RESOURCE_TYPES)


def _first(server: FhirTestServer):
    path, server_id = next(iter(server.loaded.items()))
    return next(BundleFileSource(path).iter_patients()), server_id


@pytest.mark.server
def test_server_patient_has_the_same_resources_as_the_bundle_it_was_loaded_from(fhir_server):
    source = ServerSource(fhir_server.url, token=fhir_server.token)
    for path, server_id in fhir_server.loaded.items():
        from_file = next(BundleFileSource(path).iter_patients())
        from_server = source.patient(server_id)
        assert from_server.patient_id == server_id
        assert from_server.patient["birthDate"] == from_file.patient["birthDate"]
        assert _counts(from_server.resources) == _counts(from_file.resources)
        assert {r["subject"]["reference"] for r in from_server.resources} == {f"Patient/{server_id}"}
        assert all(type(r) is dict for r in from_server.resources)  # plain dicts, not fhirpy objects


@pytest.mark.server
def test_small_pages_are_followed_to_the_last_one(fhir_server):
    from_file, server_id = _first(fhir_server)
    paged = ServerSource(fhir_server.url, token=fhir_server.token, page_size=5).patient(server_id)
    assert len(from_file.resources) > 5 * 10  # so that several pages are needed
    ids = [r["id"] for r in paged.resources]
    assert len(ids) == len(set(ids))
    assert _counts(paged.resources) == _counts(from_file.resources)


@pytest.mark.server
def test_patient_ids_are_listed_across_pages_and_capped_by_max_patients(fhir_server):
    listed = ServerSource(fhir_server.url, token=fhir_server.token, page_size=1).patient_ids()
    assert set(fhir_server.loaded.values()) <= set(listed)
    assert len(listed) == len(set(listed))
    capped = ServerSource(fhir_server.url, token=fhir_server.token, max_patients=2).patient_ids()
    assert len(capped) == 2


@pytest.mark.server
def test_open_source_with_a_url_reads_the_server_and_never_shows_the_token(fhir_server):
    source = open_source(fhir_server.url + "/", token=fhir_server.token, timeout=10)
    assert isinstance(source, ServerSource)
    server_id = next(iter(fhir_server.loaded.values()))
    assert source.patient(server_id).patient_id == server_id
    if fhir_server.token:
        assert fhir_server.token not in repr(source) + source.description


@pytest.mark.server
def test_unknown_patient_on_the_server_names_the_id_and_how_many_exist(fhir_server):
    source = ServerSource(fhir_server.url, token=fhir_server.token)
    with pytest.raises(RecordError) as caught:
        source.patient("no-such-patient")
    assert caught.value.code == ExitCode.PATIENT_NOT_FOUND
    message = caught.value.message
    assert "'no-such-patient' not found" in message and fhir_server.url in message
    assert "it holds" in message and "patients" in message


@pytest.mark.server
def test_an_invalid_id_is_refused_before_any_request_is_made(fhir_server):
    with pytest.raises(RecordError) as caught:
        ServerSource(fhir_server.url, token=fhir_server.token).patient("../metadata")
    assert caught.value.code == ExitCode.PATIENT_NOT_FOUND
    assert "not a valid FHIR patient id" in caught.value.message


@pytest.mark.server
def test_the_bearer_token_is_required_and_checked_by_the_server(fhir_server):
    if not fhir_server.token:
        pytest.skip("the external test server does not require a token")
    server_id = next(iter(fhir_server.loaded.values()))
    for token, hint in ((None, "no access token was given"), ("wrong-token-123", "check the access token")):
        with pytest.raises(SourceError) as caught:
            ServerSource(fhir_server.url, token=token).patient(server_id)
        assert caught.value.code == ExitCode.SERVER_AUTH
        assert "HTTP 401" in caught.value.message and hint in caught.value.message
        assert "wrong-token-123" not in caught.value.message


@pytest.mark.server
def test_iter_patients_on_a_server_yields_every_listed_patient(fhir_server):
    source = ServerSource(fhir_server.url, token=fhir_server.token, max_patients=2)
    patients = list(source.iter_patients())
    assert [p.patient_id for p in patients] == source.patient_ids()


@pytest.mark.server
def test_the_sync_api_also_works_inside_a_running_event_loop(fhir_server):
    server_id = next(iter(fhir_server.loaded.values()))

    async def inside_a_loop() -> str:
        return ServerSource(fhir_server.url, token=fhir_server.token).patient(server_id).patient_id

    assert asyncio.run(inside_a_loop()) == server_id


# -- stubs: a loopback HTTP server that misbehaves on purpose ---------------------------------------


class _Stub(BaseHTTPRequestHandler):
    respond: Callable[[_Stub], None]
    seen_headers: list[dict[str, str]]

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).seen_headers.append(dict(self.headers))
        type(self).respond(self)

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def stub() -> Iterator[Callable[[Callable[[_Stub], None]], tuple[str, list[dict[str, str]]]]]:
    servers: list[ThreadingHTTPServer] = []

    def make(respond: Callable[[_Stub], None]) -> tuple[str, list[dict[str, str]]]:
        handler = type("Handler", (_Stub,), {"respond": staticmethod(respond), "seen_headers": []})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/fhir", handler.seen_headers

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01"}


def _healthy(handler: _Stub) -> None:
    if handler.path.startswith("/fhir/Patient/p1"):
        handler.send_json(200, PATIENT)
    else:
        handler.send_json(200, {"resourceType": "Bundle", "type": "searchset", "entry": []})


def test_the_bearer_token_reaches_the_server_in_the_authorization_header(stub):
    url, seen = stub(_healthy)
    assert ServerSource(url, token="abc.def.ghi").patient("p1").patient == PATIENT
    assert len(seen) == 1 + len(PATIENT_RESOURCE_TYPES)  # one read and one search per resource type
    assert {h.get("Authorization") for h in seen} == {"Bearer abc.def.ghi"}


def test_a_server_error_is_one_line_naming_the_url_without_credentials(stub):
    url, _ = stub(
        lambda h: h.send_json(
            500,
            {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "fatal", "code": "exception", "diagnostics": "database is locked"}],
            },
        )
    )
    for source in (
        ServerSource(url.replace("http://", "http://alice:s3cret@")),
        ServerSource(url, token="tok-987"),
    ):
        with pytest.raises(SourceError) as caught:
            source.patient("p1")
        message = caught.value.message
        assert caught.value.code == ExitCode.SERVER_ERROR
        assert url in message and "database is locked" in message and "\n" not in message
        assert not any(secret in message for secret in ("s3cret", "alice", "tok-987"))


def test_a_base_url_with_a_query_or_with_both_password_and_token_is_a_usage_error():
    with pytest.raises(SourceError) as caught:
        ServerSource("https://fhir.example.org/r4?_token=xyz")
    assert caught.value.code == ExitCode.USAGE
    assert caught.value.message == "a FHIR base URL has no query or fragment: use https://fhir.example.org/r4"
    with pytest.raises(SourceError) as caught:
        ServerSource("https://bob:pw@fhir.example.org/r4", token="t")
    assert caught.value.code == ExitCode.USAGE and "pw" not in caught.value.message


def test_a_server_that_does_not_answer_in_time_gives_server_timeout(stub):
    url, _ = stub(lambda h: (time.sleep(3), _healthy(h)))
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        ServerSource(url, timeout=0.3).patient("p1")
    assert caught.value.code == ExitCode.SERVER_TIMEOUT
    assert f"{url} did not answer within 0.3 s" in caught.value.message
    assert time.monotonic() - started < 2.5


def test_a_closed_port_gives_a_connection_error(stub):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/fhir"
    with pytest.raises(SourceError) as caught:
        ServerSource(url, timeout=2).patient_ids()
    assert caught.value.code == ExitCode.SERVER_ERROR
    assert caught.value.message == f"cannot connect to FHIR server {url}: connection refused"


def test_an_answer_that_is_not_json_is_a_server_error(stub):
    def html(handler: _Stub) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        handler.wfile.write(b"<html>login page</html>")

    url, _ = stub(html)
    with pytest.raises(SourceError) as caught:
        ServerSource(url).patient("p1")
    assert caught.value.code == ExitCode.SERVER_ERROR
    assert "unusable answer" in caught.value.message


def test_a_server_that_always_sends_the_same_next_link_is_stopped(stub):
    def looping(handler: _Stub) -> None:
        next_url = f"http://127.0.0.1:{handler.server.server_address[1]}/fhir/Patient?page=2"
        handler.send_json(
            200,
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "link": [{"relation": "next", "url": next_url}],
                "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}}],
            },
        )

    url, seen = stub(looping)
    with pytest.raises(SourceError) as caught:
        ServerSource(url).patient_ids()
    assert caught.value.code == ExitCode.SERVER_ERROR
    assert "keeps sending 'next' pages" in caught.value.message
    assert len(seen) == 2


def test_an_unknown_patient_on_a_stub_server_is_patient_not_found(stub):
    def not_found(handler: _Stub) -> None:
        if handler.path.startswith("/fhir/Patient/"):
            handler.send_json(404, {"resourceType": "OperationOutcome", "issue": [{"code": "not-found"}]})
        elif handler.path.startswith("/fhir/Patient?"):
            total = "_totalMethod" in handler.path
            entries = [] if total else [{"resource": {"resourceType": "Patient", "id": "p1"}}]
            handler.send_json(
                200, {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": entries}
            )
        else:
            handler.send_json(200, {"resourceType": "Bundle", "type": "searchset", "entry": []})

    url, _ = stub(not_found)
    with pytest.raises(RecordError) as caught:
        ServerSource(url).patient("p2")
    assert caught.value.code == ExitCode.PATIENT_NOT_FOUND
    assert caught.value.message == f"patient 'p2' not found in FHIR server {url}: it holds 1 patient (p1)"
