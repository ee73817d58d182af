"""The features code as it was before the numpy rewrite, loaded from this repository's git history.

The rewrite of risk/features/{tables,build}.py (fixed per-call cost for CDS Hooks micro-batches) promised
bit-identical outputs; the equivalence test and benchmarks/features_small.py compare against this baseline.
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
BASELINE_REV = "a9c60bc"  # the last commit before the numpy rewrite of the features


def baseline_modules(folder: Path, rev: str = BASELINE_REV) -> tuple[ModuleType, ModuleType]:
    """(tables, build) modules as they were at `rev`; raises CalledProcessError without git or that commit."""
    mods = []
    for name in ("tables", "build"):
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:risk/features/{name}.py"], check=True,
                                capture_output=True, text=True).stdout
        path = folder / f"baseline_{name}.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(f"baseline_{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        mods.append(module)
    return mods[0], mods[1]
