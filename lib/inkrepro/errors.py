"""Errors a user can cause. The CLI prints these as one message, without a traceback."""


class UserError(Exception):
    """Something the user can fix: the message says what is wrong and what to do."""


class InkError(ValueError):
    """Invalid ink: NaN/inf coordinates, mismatched channels, out-of-range token ids."""


class BadRecord(Exception):
    """One bad record in a dataset. Readers skip and count it by ``reason`` unless strict."""

    def __init__(self, reason: str, where: str, detail: str = ""):
        self.reason, self.where, self.detail = reason, where, detail
        super().__init__(f"{where}: {reason}" + (f" ({detail})" if detail else ""))
