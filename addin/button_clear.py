"""The 清除标记 ribbon button (its add-in file addin.button_clear.xlam runs this module's main())."""


def main():
    from addin import excel

    return excel.clear_button()
