#!/usr/bin/env python3
"""Writes the template `sam local invoke` runs in `make sam-local`: template.yaml with each
function's CodeUri pointing at its binary as `cargo lambda build` left it (LAMBDA_DIR/<binary>/,
the same files `make build` makes; no `sam build`), for one architecture.

Usage: sam-local-template.py ARCH LAMBDA_DIR OUT_DIR ENV_VARS_JSON
Writes OUT_DIR/template.yaml and OUT_DIR/functions.tsv (binary, logical id), and fails unless
every variable ENV_VARS_JSON sets is declared by the template (SAM silently drops the others).
"""
import json
import sys
from pathlib import Path

from samcli.yamlhelper import yaml_dump, yaml_parse

FUNCTION = "AWS::Serverless::Function"


def declared(template, props):
    env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own = props.get("Environment", {}).get("Variables", {})
    return set(env) | set(own)


def main():
    arch, lambda_dir, out_dir, env_file = sys.argv[1:]
    template = yaml_parse(Path("template.yaml").read_text())
    lambda_dir = Path(lambda_dir).resolve()
    rows = []
    declared_anywhere = set()
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != FUNCTION:
            continue
        binary = resource["Metadata"]["BuildProperties"]["Binary"]
        bootstrap = lambda_dir / binary / "bootstrap"
        if not bootstrap.is_file():
            sys.exit(f"sam-local-template: {bootstrap} is missing; build it first")
        del resource["Metadata"]  # prebuilt: nothing for SAM to build
        resource["Properties"]["CodeUri"] = str(bootstrap.parent)
        resource["Properties"]["Architectures"] = [arch]
        declared_anywhere |= declared(template, resource["Properties"])
        rows.append(f"{binary}\t{logical_id}\n")
    overrides = json.loads(Path(env_file).read_text())["Parameters"]
    undeclared = sorted(set(overrides) - declared_anywhere)
    if undeclared:
        sys.exit(f"sam-local-template: {env_file} sets {undeclared}, which template.yaml does not declare")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "template.yaml").write_text(yaml_dump(template))
    (out / "functions.tsv").write_text("".join(rows))


if __name__ == "__main__":
    main()
