#!/usr/bin/env python3
"""Regenerate the authd_client package from ../../openapi/openapi.json.

    python generate.py                    # rewrite ./authd_client in place
    python generate.py --output DIR       # write the package to DIR instead

Runs openapi-python-client (pinned in requirements-dev.txt) with
openapi-python-client.yaml and `--meta none` (just the package) and
`--fail-on-warning`, so anything the generator skips is an error.

openapi/openapi.json is generated from the Rust code and is never edited here.
The generator refuses documents that break a rule of the OpenAPI
specification, so the document is read, the known defects are repaired in a
copy in a temporary folder (each repair is printed), and the generator reads
that copy:

  * a Response Object without its required `description`
    (utoipa leaves it out when a route declares none, e.g. GET /healthz 200):
    an empty description is added.

Hand-written modules of the package live in handwritten/authd_client/ and
are copied over the generated package, byte for byte, after generation
(today: verifier.py, the offline token verifier). So authd_client/ stays
exactly what this script writes, and clients/check.sh's comparison covers
them too: edit them in handwritten/, never in authd_client/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent.parent / "openapi" / "openapi.json"
CONFIG = HERE / "openapi-python-client.yaml"
PACKAGE = HERE / "authd_client"
HANDWRITTEN = HERE / "handwritten" / "authd_client"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def repaired(document: dict) -> list[str]:
    """Repair `document` in place; return one line per repair."""
    repairs: list[str] = []

    def fill(where: str, response: object) -> None:
        if isinstance(response, dict) and "$ref" not in response and "description" not in response:
            response["description"] = ""
            repairs.append(f"{where}: missing required 'description' (added an empty one)")

    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS and isinstance(operation, dict):
                for status, response in operation.get("responses", {}).items():
                    fill(f"paths.{path}.{method}.responses.{status}", response)
    for name, response in document.get("components", {}).get("responses", {}).items():
        fill(f"components.responses.{name}", response)
    return repairs


def generate(output: Path) -> None:
    document = json.loads(SPEC.read_text(encoding="utf-8"))
    for line in repaired(document):
        print(f"generate.py: openapi.json {line}", file=sys.stderr)

    # The post hooks run `ruff`, installed beside this interpreter; without
    # it on PATH the generator would only warn and leave the code unformatted.
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([sysconfig.get_path("scripts"), env.get("PATH", "")])
    generator = shutil.which("openapi-python-client", path=env["PATH"])
    if generator is None:
        sys.exit("generate.py: openapi-python-client not found: pip install -r requirements-dev.txt")

    with tempfile.TemporaryDirectory(prefix="authd-openapi-") as tmp:
        spec_copy = Path(tmp) / "openapi.json"
        spec_copy.write_text(json.dumps(document, indent=2), encoding="utf-8")
        # Generate into a fresh folder named like the package, then move it:
        # the output never depends on what was there before.
        staged = Path(tmp) / "authd_client"
        result = subprocess.run(
            [
                generator,
                "generate",
                "--path", str(spec_copy),
                "--config", str(CONFIG),
                "--meta", "none",
                "--fail-on-warning",
                "--output-path", str(staged),
            ],
            env=env,
            cwd=tmp,
            text=True,
            capture_output=True,
        )
        sys.stderr.write(result.stdout + result.stderr if result.returncode else "")
        if result.returncode != 0:
            sys.exit(f"generate.py: openapi-python-client failed (exit {result.returncode})")
        for source in sorted(HANDWRITTEN.rglob("*.py")):
            target = staged / source.relative_to(HANDWRITTEN)
            if target.exists():
                sys.exit(f"generate.py: {source} would replace the generated {target.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        if output.exists():
            shutil.rmtree(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), str(output))
    print(f"generate.py: wrote {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=PACKAGE, help="package folder to write (default: %(default)s)")
    generate(parser.parse_args().output.resolve())


if __name__ == "__main__":
    main()
