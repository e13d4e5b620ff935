"""The one kind of error a command line says plainly: a fault the user can act on."""


class ExpectedError(Exception):
    """A fault in the input, the file system or the project, not a bug: every command prints
    its message as one paragraph and exits 2, without a traceback."""
