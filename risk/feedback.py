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


def meter(*, desc: str, unit: str, enabled: bool = True):  # noqa: ANN201 (a tqdm bar, imported lazily)
    """A progress bar updated by counts (`bar.update(n)`), showing the rate (patients/s); None when disabled."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc=desc, file=sys.stderr, unit=f" {unit}", leave=False, mininterval=0.5)
