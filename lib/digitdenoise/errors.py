"""Exceptions with messages a reader can act on.

Every error the library raises on bad input is a :class:`DigitDenoiseError`: its message names the
file or parameter, says what is wrong and what to do. The command line prints the message alone (no
traceback) and exits with status 2.
"""


class DigitDenoiseError(Exception):
    """Base class: bad input the user can fix."""


class ParameterError(DigitDenoiseError, ValueError):
    """A parameter has a wrong type or value (chapter parameters, function arguments)."""


class DataError(DigitDenoiseError):
    """A dataset or data home is missing, incomplete or malformed."""


class AudioFileError(DataError):
    """One audio file cannot be used (missing, empty, corrupt, not audio)."""
