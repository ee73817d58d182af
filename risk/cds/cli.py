"""`risk serve`: the CDS Hooks service under uvicorn (several worker processes share the jti store and the
audit log). Access logs are off: a request line can carry a patient id or an OAuth code in its query."""

from __future__ import annotations

import argparse
import os

from risk.errors import ExitCode, RiskError


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.config:
        os.environ["RISK_CDS_CONFIG"] = args.config  # read back by each worker through risk.settings
    if not os.environ.get("RISK_CDS_CONFIG"):
        raise RiskError("give --config (or RISK_CDS_CONFIG): the CDS trust file (see risk/cds/config.py)",
                        ExitCode.USAGE)
    from pathlib import Path

    from risk.cds.config import load_config

    load_config(Path(os.environ["RISK_CDS_CONFIG"]))  # a bad trust file is one clear error here, not in each worker
    uvicorn.run("risk.cds.service:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, access_log=False, log_level="warning", server_header=False)
    return ExitCode.OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the CDS Hooks 2.0 service (patient-view card)")
    p.add_argument("--config", help="CDS trust file (TOML; default RISK_CDS_CONFIG)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8010)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(handler=cmd_serve)
