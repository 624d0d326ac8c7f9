"""Packs src/ into dist/user.pyz, as `python3 -m zipapp src -m user.main:main -p '/usr/bin/env python3'`
would, but reproducibly: the same sources give the same bytes in any checkout, at any time.

zipapp writes each file's modification time into the archive, so two checkouts made at different
moments give different archives. Here instead:
- every entry is dated SOURCE_DATE_EPOCH (kiln sets it to the last commit touching this project;
  reproducible-builds.org's convention), in UTC; 1980-01-01, zip's earliest date, without it;
- entries are sorted by path and have fixed permissions (0644);
- entries are stored, not deflated, since deflate's output may change with the zlib version;
- bytecode caches (__pycache__, *.pyc) are left out: tests write them, with source mtimes inside.
"""
import os
import stat
import sys
import time
import zipfile

SOURCE = "src"
TARGET = os.path.join("dist", "user.pyz")
INTERPRETER = "/usr/bin/env python3"
MODULE, FUNCTION = "user.main", "main"
ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z


def entry_time():
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", ZIP_EPOCH))
    return time.gmtime(max(epoch, ZIP_EPOCH))[:6]


def sources():
    found = []
    for directory, subdirectories, names in os.walk(SOURCE):
        subdirectories[:] = [d for d in subdirectories if d != "__pycache__"]
        for name in names:
            if not name.endswith((".pyc", ".pyo")):
                found.append(os.path.relpath(os.path.join(directory, name), SOURCE).replace(os.sep, "/"))
    return sorted(found)


def add(archive, name, data, when):
    info = zipfile.ZipInfo(name, when)
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.create_system = 3  # Unix, whatever the host, so the attributes read the same
    archive.writestr(info, data, compress_type=zipfile.ZIP_STORED)


def main():
    when = entry_time()
    main_module = f"# -*- coding: utf-8 -*-\nimport {MODULE}\n{MODULE}.{FUNCTION}()\n"
    entries = [(name, None) for name in sources()] + [("__main__.py", main_module.encode())]
    os.makedirs(os.path.dirname(TARGET), exist_ok=True)
    with open(TARGET, "wb") as out:
        out.write(f"#!{INTERPRETER}\n".encode())
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in sorted(entries):
                if data is None:
                    with open(os.path.join(SOURCE, name), "rb") as f:
                        data = f.read()
                add(archive, name, data, when)
    os.chmod(TARGET, 0o755)


if __name__ == "__main__":
    sys.exit(main())
