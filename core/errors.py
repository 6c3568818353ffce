"""The one exception type for problems the user can fix (bad file, bad setting, unreachable hub).

The CLI prints it as one ``error: ...`` line and exits 2; the app shows it with ``st.error``.
"""


class UserError(ValueError):
    """A problem with the input or the settings, with a message that says what to do."""
