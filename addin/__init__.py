"""gkreport: validator and Excel add-in for annual government-information-disclosure reports."""
from addin._version import __version__

__all__ = ["__version__", "main", "validate", "clear_marks", "export_submission"]

# The add-in entry points import xlwings only when called, so `gkreport check` starts fast.


def main():
    """The 校验 ribbon button: validate the active workbook and mark it."""
    from addin import excel

    return excel.main()


def validate(book, *args, **kwargs):
    """Check an xlwings Book (desktop or remote engine), mark its cells, write the 校验结果 sheet."""
    from addin import excel

    return excel.validate(book, *args, **kwargs)


def clear_marks(book):
    """Remove every fill and note gkreport added to an xlwings Book."""
    from addin import excel

    return excel.clear_marks(book)


def export_submission(book, path=None, **kwargs):
    """Write the clean submission file of an xlwings Book that has no errors."""
    from addin import excel

    return excel.export_submission(book, path, **kwargs)
