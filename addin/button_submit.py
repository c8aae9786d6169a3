"""The 生成报送文件 ribbon button (its add-in file addin.button_submit.xlam runs this module's main())."""


def main():
    from addin import excel

    return excel.submit_button()
