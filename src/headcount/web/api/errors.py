"""What the API answers when it refuses a request: one body for every error status, declared in
the OpenAPI of each route that can answer it (SPEC §12)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

# What each error status means in this API; a route declares those it can answer.
MEANINGS = {
    400: "The request cannot be carried out as sent (a NUL character, a value the repository "
         "refuses, a configuration that does not load).",
    401: "No session and no valid bearer token.",
    403: "The user, or the token's scopes, may not do this (or a session's CSRF token is "
         "missing).",
    404: "What the request names does not exist.",
    409: "The state forbids it now: a run in progress, a run not blocked, a case decided "
         "already.",
    422: "A parameter or a value of the body is invalid; `errors` says which and why.",
    503: "The repository is unavailable; try again.",
}
# Every route behind a log-in can answer these, whatever it does.
GUARDED = (400, 401, 403, 503)


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where: `path`, `query` or `body`, then the field.")
    msg: str
    type: str = Field(description="The kind of error, e.g. `missing`, `value_error`.")


class ErrorOut(BaseModel):
    detail: str = Field(description="What went wrong, for a person.")
    errors: list[FieldError] = Field(default_factory=list,
                                     description="With a 422: each refused value.")


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer these error statuses."""
    return {code: {"model": ErrorOut, "description": MEANINGS[code]} for code in sorted(codes)}


def error_body(message: str, errors: Sequence[FieldError] = ()) -> dict[str, Any]:
    return ErrorOut(detail=message, errors=list(errors)).model_dump(mode="json")


def field_errors(exc: RequestValidationError) -> list[FieldError]:
    # The refused input itself is left out: it may be huge, or not JSON at all.
    # A location may be a key the client sent (a mapping's): its NUL characters are shown as
    # `\0`, as an error body never holds one (a NUL key is refused, not echoed).
    return [FieldError(loc=[p if isinstance(p, int) else str(p).replace("\x00", "\\0")
                            for p in e.get("loc", ())],
                       msg=str(e.get("msg", "")), type=str(e.get("type", "")))
            for e in exc.errors()]


def summary(errors: Sequence[FieldError]) -> str:
    """One line naming the first few refused values."""
    shown = [f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors[:3]]
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(shown) + more if shown else "the request is invalid"


NO_NUL = "^[^\u0000]*$"


def refuse_nul(node: Any) -> None:
    """Say in the OpenAPI what the app refuses at its door (400): no text holds a NUL. Every
    free string schema (no pattern, format or enum of its own) gets the pattern, in place."""
    if isinstance(node, dict):
        if (node.get("type") == "string"
                and not {"pattern", "format", "enum", "const"} & node.keys()):
            node["pattern"] = NO_NUL
        for value in node.values():
            refuse_nul(value)
    elif isinstance(node, list):
        for value in node:
            refuse_nul(value)
