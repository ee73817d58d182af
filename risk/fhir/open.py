"""Pick the source a user named: a server URL, a bundle file, a bulk-export file or folder, a folder of bundles."""

from __future__ import annotations

from pathlib import Path

from risk.errors import ExitCode, SourceError
from risk.fhir.base import Source
from risk.fhir.bundle import BundleFileSource, BundleFolderSource
from risk.fhir.ndjson import NdjsonSource, is_ndjson_name


def _is_url(spec: str | Path) -> bool:
    return isinstance(spec, str) and spec.lower().startswith(("http://", "https://"))


def _has_files(folder: Path, *patterns: str) -> bool:
    return any(next(folder.glob(pattern), None) is not None for pattern in patterns)


def open_source(spec: str | Path, *, token: str | None = None, timeout: float = 30) -> Source:
    """The source a user named on the command line or in the app.

    - `http(s)://...`: a FHIR server base URL, read through fhirpy (`token`: bearer access token,
      `timeout`: seconds per request);
    - a `.json` / `.json.gz` file: one patient's Bundle (transaction, batch, collection, searchset,
      document) or a bare Patient;
    - a `.ndjson` / `.ndjson.gz` file, or a folder holding such files: a bulk export (one type per file);
    - any other folder: one bundle file per patient.
    """
    if _is_url(spec):
        from risk.fhir.server import ServerSource  # lazy: fhirpy and aiohttp load only for a server

        return ServerSource(str(spec), token=token, timeout=timeout)

    path = Path(spec).expanduser()
    if not path.exists():
        raise SourceError(
            f"{path} does not exist: give a FHIR bundle file, a folder or a server URL",
            ExitCode.FILE_NOT_FOUND,
        )
    if path.is_dir():
        if _has_files(path, "*.ndjson", "*.ndjson.gz"):
            return NdjsonSource(path)
        if _has_files(path, "*.json", "*.json.gz"):
            return BundleFolderSource(path)
        raise SourceError(
            f"no FHIR files in folder {path}: expected *.json / *.json.gz bundles "
            "or a *.ndjson[.gz] bulk export",
            ExitCode.FILE_NOT_FOUND,
        )
    if is_ndjson_name(path.name):
        return NdjsonSource(path)
    return BundleFileSource(path)
