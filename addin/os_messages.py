"""Operating-system and library errors told in Chinese (what the user reads instead of "No such file or directory")."""
from __future__ import annotations

import errno
import zipfile

# errno -> what happened, in the user's words (the C library's own texts are English)
_TEXTS = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有访问权限（文件可能正被 Excel/WPS 打开，或没有读写这个位置的权限）",
    errno.EPERM: "操作不被允许（没有权限）",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统是只读的，不能写入",
    errno.ENXIO: "无法打开（设备或套接字）",
    errno.ENAMETOOLONG: "文件名或路径太长",
    errno.ELOOP: "符号链接循环",
    errno.EMFILE: "同时打开的文件过多",
    errno.ENFILE: "系统打开的文件过多",
    errno.EIO: "读写错误",
    errno.EBUSY: "文件正被其他程序使用",
    errno.EEXIST: "文件已存在",
    errno.EFBIG: "文件过大",
    errno.EAGAIN: "资源暂时不可用",
    errno.ENOMEM: "内存不足",
    errno.EINVAL: "文件名、路径或参数无效",
    errno.EXDEV: "不能跨磁盘移动文件",
    getattr(errno, "EDQUOT", -1): "超出磁盘配额",
}
_WINERROR = {32: "文件正被其他程序使用（请先在 Excel/WPS 中关闭它）", 33: "文件的一部分被其他程序锁定"}
# library exception class -> what it means for the file
_CLASSES = (
    (zipfile.BadZipFile, "不是 zip 格式的 .xlsx 工作簿，或 zip 结构已损坏"),
    (zipfile.LargeZipFile, "文件过大，无法处理"),
    (UnicodeError, "文件中的文字编码无法识别"),
    (MemoryError, "内存不足"),
    (KeyError, "文件缺少必需的部分"),
)


def describe(exc: BaseException) -> str:
    """A short Chinese sentence for an exception from the operating system or a file library."""
    if isinstance(exc, OSError):
        text = _WINERROR.get(getattr(exc, "winerror", None)) or _TEXTS.get(exc.errno)
        if text:
            return text
        if exc.errno is not None:
            return f"系统错误（错误号 {exc.errno}）"
        return str(exc) or exc.__class__.__name__
    for cls, text in _CLASSES:
        if isinstance(exc, cls):
            return text
    return f"处理文件时出错（{exc.__class__.__name__}）"
