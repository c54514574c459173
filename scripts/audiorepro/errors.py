"""One exception type for bad input, so every rule fails with one clear line."""


class InputError(ValueError):
    """Bad input data or configuration: the message names the file or key and the problem."""

    def __init__(self, where, problem):
        self.where = str(where)
        self.problem = problem
        super().__init__(f"{self.where}: {problem}")


def shown(items, most=10):
    """``items`` for a message or a log line: the first ``most``, then how many more."""
    names = [str(p) for p in items]
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")
