"""One exception type for bad input, so every rule fails with one clear line."""


class InputError(ValueError):
    """Bad input data or configuration: the message names the file or key and the problem."""

    def __init__(self, where, problem):
        self.where = str(where)
        self.problem = problem
        super().__init__(f"{self.where}: {problem}")
