"""TEMPORARY stub, replaced by the catalogue renderer from branch i18n."""

from __future__ import annotations

from risk.terminology.messages import Message


def message_text(msg: Message, lang: str) -> str:
    return msg.code + " " + ", ".join(f"{k}={v}" for k, v in msg.params.items())


def issue_message(issue) -> Message:  # noqa: ANN001
    return Message(code="issue." + str(issue.kind), params={})


def tr(code: str, lang: str, /, **params) -> str:  # noqa: ANN003
    return message_text(Message(code=code, params=params), lang)
