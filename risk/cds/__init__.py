"""The CDS Hooks 2.0 service (`risk serve`): the risk as a card inside the EHR's own screen.

config (what a deployment trusts) -> trust (the EHR's signed JWT, jti never twice) -> request (the hook call,
its caps and its prefetch as a patient's resources) -> card (one Assessment as one card) -> service (FastAPI).
"""
