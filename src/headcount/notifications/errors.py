"""Why a notification did not reach its destination."""

from __future__ import annotations

from headcount.errors import HeadcountError


class DeliveryFailed(HeadcountError):
    """A destination (an SMTP relay, a webhook's URL) did not take a notification."""

    def __init__(self, destination: str, reason: str) -> None:
        self.destination = destination
        self.reason = reason
        super().__init__(f"{destination}: {reason}")


class DeliveriesFailed(HeadcountError):
    """Some destinations of a notification failed; the others have it."""

    def __init__(self, failures: list[DeliveryFailed]) -> None:
        self.failures = failures
        super().__init__("\n".join(str(f) for f in failures))


class MissingSecret(HeadcountError):
    """The environment variable the configuration names for a secret is not set."""

    def __init__(self, variable: str, setting: str) -> None:
        self.variable = variable
        self.setting = setting
        super().__init__(f"{setting}: the environment variable {variable} is not set")


class BadSignature(HeadcountError):
    """A webhook request whose signature does not prove it came from headcount, just now."""
