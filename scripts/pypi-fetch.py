#!/usr/bin/env python3
"""Fetch one file of a PyPI release through the simple index and verify its sha256.

Usage: pypi-fetch.py PROJECT FILENAME SHA256 DEST_DIR

The file lands in DEST_DIR/FILENAME only once its checksum matches; a mismatch is an
error and leaves nothing behind. An existing file with the right checksum is kept.
"""
import hashlib
import os
import re
import sys
import time
import urllib.request

INDEX = os.environ.get("HEARTH_PYPI_INDEX", "https://pypi.org/simple")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    project, filename, expected, dest_dir = sys.argv[1:]
    dest = os.path.join(dest_dir, filename)
    if os.path.exists(dest) and sha256_of(dest) == expected:
        return
    os.makedirs(dest_dir, exist_ok=True)
    page = urllib.request.urlopen(
        urllib.request.Request(f"{INDEX}/{project}/", headers={"Accept": "text/html"}), timeout=60
    ).read().decode()
    links = [u for u in re.findall(r'href="([^"]+)"', page) if u.split("#")[0].endswith("/" + filename)]
    if not links:
        sys.exit(f"error: {filename} is not in the index of {project}")
    url = links[0].split("#")[0]
    partial = dest + ".partial"
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=120) as response, open(partial, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done, started, shown = 0, time.time(), 0.0
        for block in iter(lambda: response.read(1 << 20), b""):
            out.write(block)
            digest.update(block)
            done += len(block)
            now = time.time()
            if sys.stderr.isatty() and now - shown > 0.2:
                shown = now
                rate = done / max(now - started, 1e-6)
                pct = f"{100 * done / total:5.1f}%" if total else ""
                sys.stderr.write(f"\r  {filename}: {done >> 20} MiB {pct} {rate / 2**20:.1f} MiB/s ")
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    actual = digest.hexdigest()
    if actual != expected:
        os.remove(partial)
        sys.exit(f"error: checksum mismatch for {filename}: expected {expected}, got {actual}")
    os.replace(partial, dest)
    print(f"  fetched {filename} ({done >> 20} MiB, sha256 ok)")


if __name__ == "__main__":
    main()
