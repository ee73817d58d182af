"""`risk` command line: the dispatcher. Each stage registers its own subcommands from its `cli.py`.

inspect, score (risk.assess.cli) · panel (risk.panel.cli) · synth (risk.synth.cli) · train, evaluate
(risk.models.cli) · audit (risk.audit.cli) · serve (risk.cds.cli). Every failure the user can act on prints one
line `risk: error: ...` and exits with its named code (risk.errors.ExitCode); no traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from risk import feedback
from risk.assess import cli as assess_cli
from risk.audit import cli as audit_cli
from risk.cds import cli as cds_cli
from risk.errors import ExitCode, RiskError
from risk.models import cli as models_cli
from risk.panel import cli as panel_cli
from risk.settings import Settings
from risk.synth import cli as synth_cli

STAGES = (assess_cli, panel_cli, synth_cli, models_cli, audit_cli, cds_cli)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="risk", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for stage in STAGES:
        stage.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except RiskError as exc:
        feedback.err(f"risk: error: {exc.message}")
        return int(exc.code)
    except KeyboardInterrupt:
        feedback.err("risk: interrupted")
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    except MemoryError:
        feedback.err("risk: error: out of memory; use `risk panel` on large exports")
        return int(ExitCode.INTERNAL)
    except Exception as exc:  # last line of defence: one line, no traceback (set RISK_DEBUG=1 to see it)
        if Settings.from_env().debug:
            raise
        feedback.err(f"risk: internal error ({type(exc).__name__}): {exc}; please report it (RISK_DEBUG=1 "
                     "shows the traceback)")
        return int(ExitCode.INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
