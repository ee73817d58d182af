"""Outputs that appear whole or not at all: each is written under a temporary name beside its target, then moved
onto it (os.replace, atomic within a file system) once every output is complete.

A run stopped or failed half-way through the merge used to leave a truncated CSV that looked like a result (a
silently partial panel); now it leaves no output file, no temporary file, and a previous complete output untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Staging:
    """Temporary paths handed out for targets, moved onto them in the order they were asked for."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)

    def path(self, target: Path) -> Path:
        """Where to write `target`: hidden, beside it (same file system), named after this process."""
        temp = target.with_name(f".{target.name}.{os.getpid()}.part")
        self.moves.append((temp, target))
        return temp


@contextmanager
def staged() -> Iterator[Staging]:
    """Temporary output paths; when the block ends normally they are moved onto their targets, else removed."""
    staging = Staging()
    done = 0
    try:
        yield staging
        for temp, target in staging.moves:
            os.replace(temp, target)
            done += 1
    finally:
        for temp, _ in staging.moves[done:]:
            temp.unlink(missing_ok=True)
