"""What the commands share: exit statuses and the one error a command raises to stop with a message."""
from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A command stops: `cli.main` prints the Chinese message to stderr and exits with `status`."""

    def __init__(self, message: str, status: int = EXIT_FAILED):
        super().__init__(message)
        self.message = message
        self.status = status


def usage_error(message: str) -> CommandError:
    """Options that do not fit together: exit status 2, as argparse gives for its own usage errors."""
    return CommandError(f"用法错误：{message}", EXIT_USAGE)
