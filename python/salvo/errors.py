"""The errors salvo's Python API raises: the CLI's one-line message and its exit code."""


class SalvoError(Exception):
    """Base class: `message` is the CLI's one-line message, `exit_code` its exit code."""

    def __init__(self, message, exit_code=None, stderr="", path=None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.stderr = stderr
        self.path = path

    def __str__(self):
        return self.message


class SalvoConfigError(SalvoError):
    """Bad input (config, options, spec): the CLI exited with code 2. Nothing ran."""


class SalvoRunError(SalvoError):
    """The run failed: its own check, a firmware trap, a watchdog (exit code 1), a signal
    (exit code 128 + N) or a timeout. `result` is the failed run's Result when it wrote a
    summary.json (failed runs still report their metrics), else None."""

    def __init__(self, message, exit_code=None, stderr="", path=None, result=None):
        super().__init__(message, exit_code, stderr, path)
        self.result = result


class SalvoTimeoutError(SalvoRunError):
    """The run exceeded `timeout`: its whole process group was terminated. `exit_code` is
    None (the run did not end by itself)."""
