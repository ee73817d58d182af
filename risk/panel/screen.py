"""Screen a whole bulk export: partition into buckets, score the buckets on an engine, merge, summarise.

The run never stops on a bad record: every line or patient it cannot use is a `Reject` in the side file and a
count in the summary. It fails only when no patient at all could be scored or counted (then there is no panel).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from risk.errors import ExitCode, SourceError
from risk.fhir.ndjson import is_ndjson_name
from risk.panel.buckets import partition, process_pool
from risk.panel.engine import BucketResult, PanelJob, run_dask, run_local, score_to_part, write_outputs
from risk.panel.organized import screen_organized
from risk.panel.rejects import PATIENT_REASONS, reject_counts, write_rejects
from risk.panel.staging import staged
from risk.record.load import iter_records


@dataclass(frozen=True, kw_only=True)
class ScreenSummary:
    scored: int
    deceased: int
    rejects: dict[str, int]  # per reason
    categories: dict[str, int]  # ESC category -> patients
    gaps: dict[str, int]  # most overdue care gap -> patients
    buckets: int
    lines: int
    patients_rejected: int = 0
    organized: bool = False  # scored file by file, the export being organised by patient (no bucket pass)


def screen(source: str | Path, *, out_csv: Path, out_parquet: Path | None, rejects_path: Path, job_args: dict[str, Any],
           engine: str = "local", workers: int = 1, client: Any = None, work_dir: Path | None = None,
           buckets: int | None = None, lang: str = "en", token: str | None = None,
           progress: Callable[[BucketResult], None] | None = None,
           on_read: Callable[[int, int], None] | None = None) -> ScreenSummary:
    """Score every patient of the bulk export `source` into `out_csv` (and `out_parquet`), rows sorted by id.

    `job_args`: models_dir, as_of, region, guideline_set (risk.panel.engine.PanelJob). `engine` "local" (a pool
    of `workers` processes) or "dask" (`client`, a dask.distributed.Client). `work_dir` holds the buckets
    (a temporary folder by default; on a cluster, a folder every worker can read). An export organised by patient
    (risk.panel.organized) is scored file by file on the local engine, unless `buckets` asks for the bucket pass.
    `progress` is told of each bucket scored, `on_read` of the bucket pass's advance (risk.panel.buckets.partition).
    """
    # Left in any way (a stop, risk.panel.stop, or a failure), the pool's processes are ended, then the buckets'
    # folder (patient data) removed, and no output file is left; outputs are moved into place only once complete.
    with (staged() as staging, tempfile.TemporaryDirectory(prefix="risk-panel-", dir=work_dir) as tmp,
          contextlib.ExitStack() as stack):
        organized = (screen_organized(Path(source), Path(tmp) / "organized", job_args, workers, progress)
                     if engine == "local" and buckets is None and is_bulk_export(Path(source)) else None)
        results: Iterable[BucketResult]
        if organized is not None:  # its progress was reported as each file finished
            results, rejects, n_buckets, lines = organized.results, [], organized.chains, organized.lines
        elif is_bulk_export(Path(source)):
            # One pool for the bucket pass and the scoring: its processes start (and import) once.
            pool = stack.enter_context(process_pool(workers)) if workers > 1 else None
            part = partition(Path(source), Path(tmp), k=buckets, min_buckets=max(1, workers), workers=workers,
                             pool=pool, on_read=on_read)
            job = PanelJob(files=part.files, **job_args)
            results = (run_dask(list(part.buckets), job, client) if engine == "dask"
                       else run_local(part.buckets, job, workers, pool))
            rejects, n_buckets, lines = list(part.rejects), len(part.buckets), part.lines
        else:  # bundles or a server: read as before (a bad bundle is a clear error), scored the same way
            job = PanelJob(files=(), **job_args)
            results = [score_to_part(iter_records(str(source), token=token), job, Path(tmp) / "rows.ndjson")]
            rejects, n_buckets, lines = [], 1, 0
        scored = deceased = 0
        categories: Counter[str] = Counter()
        gaps: Counter[str] = Counter()
        parts = []
        for res in results:
            scored += res.scored
            deceased += res.deceased
            rejects += res.rejects
            categories.update(res.categories)
            gaps.update(res.gaps)
            parts.append(res.part)
            if progress is not None and organized is None:
                progress(res)
        write_rejects(rejects, staging.path(rejects_path), lang)
        parquet_temp = staging.path(out_parquet) if out_parquet is not None else None
        write_outputs(sorted(parts), staging.path(out_csv), parquet_temp)  # the CSV moved into place last
    counts = reject_counts(rejects)
    summary = ScreenSummary(scored=scored, deceased=deceased, rejects=counts,
                            categories=dict(categories.most_common()), gaps=dict(gaps.most_common()),
                            buckets=n_buckets, lines=lines, organized=organized is not None,
                            patients_rejected=sum(n for r, n in counts.items() if r in PATIENT_REASONS))
    if scored == 0 and deceased == 0:
        raise SourceError(f"no patient of {source} could be scored: {summary.patients_rejected} Patient "
                          f"resources rejected, {sum(counts.values())} lines or patients set aside in "
                          f"{rejects_path}", ExitCode.NO_PATIENT)
    return summary


def is_bulk_export(source: Path) -> bool:
    """An NDJSON file, or a folder (sub-folders included) holding NDJSON files and no bundle."""
    if source.is_file():
        return is_ndjson_name(source.name)
    if not source.is_dir():
        return False
    names = [p.name for p in source.rglob("*") if p.is_file()]
    return any(is_ndjson_name(n) for n in names)
