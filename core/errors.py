"""The one exception type for problems the user can fix (bad file, bad setting, unreachable hub).

The CLI prints it as one ``error: ...`` line and exits 2; the app shows it with ``st.error``.
A message that names a command-line flag can carry a second wording for the app, which names the
app's controls instead (``UserError("... --text-col ...", app="... the sidebar's Text column ...")``).
"""
from __future__ import annotations


class UserError(ValueError):
    """A problem with the input or the settings, with a message that says what to do."""

    def __init__(self, message: str, *, app: str | None = None) -> None:
        super().__init__(message)
        self.app = app

    @property
    def app_message(self) -> str:
        """The wording for the app: its own if given, else the (neutral) CLI wording."""
        return self.app or str(self)


def app_message(exc: BaseException) -> str:
    """What the app shows for ``exc``: a UserError's app wording, else its text."""
    return exc.app_message if isinstance(exc, UserError) else str(exc)
