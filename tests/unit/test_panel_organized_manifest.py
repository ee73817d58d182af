"""How risk.panel.organized reads a Bulk Data manifest organised by patient: files chained by `continuesInFile`,
and anything that does not match the folder one to one left to the content check (then, if need be, the buckets)."""

from __future__ import annotations

from risk.panel.organized import _manifest_chains, header_patient

URL = "https://bulk.example.org/out"


def _manifest(*items: dict) -> dict:
    return {"outputOrganizedBy": "Patient", "output": list(items)}


def test_files_are_chained_by_continues_in_file_in_the_manifest_order():
    names = ["a.ndjson", "b.ndjson", "sub/c.ndjson.gz", "d.ndjson"]
    doc = _manifest({"url": f"{URL}/a.ndjson", "continuesInFile": f"{URL}/c.ndjson.gz"},
                    {"url": f"{URL}/b.ndjson"},
                    {"url": f"{URL}/c.ndjson.gz", "continuesInFile": f"{URL}/d.ndjson"},
                    {"url": f"{URL}/d.ndjson"})
    assert _manifest_chains(doc, names) == [[0, 2, 3], [1]]


def test_a_manifest_that_does_not_match_the_folder_is_not_trusted():
    names = ["a.ndjson", "b.ndjson"]
    assert _manifest_chains(_manifest({"url": f"{URL}/a.ndjson"}), names) is None  # b is not listed
    assert _manifest_chains(_manifest({"url": f"{URL}/a.ndjson"}, {"url": f"{URL}/x.ndjson"}), names) is None
    assert _manifest_chains(_manifest({"url": f"{URL}/a.ndjson"}, {"url": f"{URL}/a.ndjson"}), names) is None
    loop = _manifest({"url": f"{URL}/a.ndjson", "continuesInFile": f"{URL}/b.ndjson"},
                     {"url": f"{URL}/b.ndjson", "continuesInFile": f"{URL}/a.ndjson"})
    assert _manifest_chains(loop, names) is None
    assert _manifest_chains(_manifest({"url": f"{URL}/a.ndjson"}, {"url": f"{URL}/b.ndjson"}),
                            ["x/a.ndjson", "y/a.ndjson"]) is None  # two files of one name: which is which?


def test_the_block_header_names_its_patient():
    header = {"resourceType": "Parameters", "parameter": [
        {"name": "header", "valueReference": {"reference": "https://ehr.example.org/fhir/Patient/p1"}}]}
    assert header_patient(header) == "p1"
    assert header_patient({"resourceType": "Parameters", "parameter": [{"name": "other"}]}) is None
    assert header_patient({"resourceType": "Patient", "id": "p1"}) is None
