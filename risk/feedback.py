"""All console output of the command line goes through here (no bare prints in the library)."""

from __future__ import annotations

import sys


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(text + "\n")


def progress(iterable, *, total: int | None = None, desc: str = "", enabled: bool = True,  # noqa: ANN001, ANN201
             unit: str = "patient"):
    """A tqdm progress bar on stderr (silent when disabled or not a terminal-friendly context)."""
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, unit=f" {unit}", leave=False,
                mininterval=0.5)


class Meter:
    """A tqdm bar on stderr, opened on its first report: the bars of successive phases (the export split by patient,
    then the patients scored) appear in that order, each with its total once it is known."""

    def __init__(self, desc: str, unit: str, *, scale: bool = False) -> None:
        self.desc, self.unit, self.scale = desc, unit, scale
        self.bar = None

    def update(self, n: int, total: int | None = None) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(desc=self.desc, total=total, initial=n, file=sys.stderr, leave=False, mininterval=0.5,
                            unit=self.unit if self.scale else f" {self.unit}", unit_scale=self.scale)
        else:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def meter(*, desc: str, unit: str, enabled: bool = True, scale: bool = False) -> Meter | None:
    """A progress bar updated by counts (`update(n)`), showing the rate (patients/s, or B/s with `scale`); None when
    disabled."""
    return Meter(desc, unit, scale=scale) if enabled else None
