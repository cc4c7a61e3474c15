"""The Nu HTML Checker (vnu.jar on Java, from npm vnu-jar) on rendered pages: one Java start for many pages."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"


def nu_problems(pages: dict[str, str], folder: Path) -> list[str]:
    """Every error the checker finds in ``pages`` ({file name: HTML}), as ``name:line: message``."""
    java = shutil.which("java")
    assert java and VNU.exists(), "`make test` installs Java and the Nu checker (npm vnu-jar)"
    files = []
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", *files],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages]
