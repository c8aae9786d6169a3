"""Operating-system errors told in Chinese (the C library's own texts are English)."""
from __future__ import annotations

import errno

_TEXTS = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有访问权限",
    errno.EPERM: "操作不被允许",
    errno.EISDIR: "这是一个文件夹",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统是只读的",
    errno.ENXIO: "无法打开（设备或套接字）",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ELOOP: "符号链接循环",
    errno.EMFILE: "打开的文件过多",
    errno.ENFILE: "系统打开的文件过多",
    errno.EIO: "读写错误",
    errno.EBUSY: "文件正被占用",
    errno.EEXIST: "文件已存在",
    errno.EFBIG: "文件过大",
    errno.EAGAIN: "资源暂时不可用",
    errno.ENOMEM: "内存不足",
    errno.EINVAL: "参数无效",
    getattr(errno, "EDQUOT", -1): "超出磁盘配额",
}


def describe(exc: BaseException) -> str:
    """A short Chinese reason for an OSError (its own message when it carries no error number)."""
    number = getattr(exc, "errno", None)
    if number in _TEXTS:
        return _TEXTS[number]
    if number is not None:
        return f"系统错误 {number}"
    return str(exc) or exc.__class__.__name__
