#!/usr/bin/env python3
"""Expands a packaged SAM template into plain CloudFormation with aws-sam-translator, the library
CloudFormation's AWS::Serverless-2016-10-31 transform runs, so the result has the resources AWS
itself would create (roles, permissions, the HTTP API's OpenAPI body and stage).

Usage: sam-expand.py PACKAGED_TEMPLATE OUT_JSON REGION ACCOUNT_ID [Key=Value ...]
The parameter values are those of the stack (the transform sees them too); defaults fill the rest.
"""
import json
import os
import sys
from pathlib import Path

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform


class NoManagedPolicies:
    """The template names no managed policy by name (its policies are statements), so the
    transform must never need the account's list; if it does, that is news worth failing on."""

    def load(self):
        raise SystemExit("sam-expand: the transform asked for managed policies by name; the template changed")


def main():
    packaged, out, region, account, *pairs = sys.argv[1:]
    os.environ["AWS_DEFAULT_REGION"] = region  # the transform's session asks for one
    template = yaml_parse(Path(packaged).read_text())
    values = {k: str(v.get("Default")) for k, v in template.get("Parameters", {}).items() if "Default" in v}
    values.update(p.split("=", 1) for p in pairs)
    values.update({"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws"})
    expanded = transform(template, values, NoManagedPolicies())
    Path(out).write_text(json.dumps(expanded, indent=1, sort_keys=True))
    resources = expanded["Resources"]
    kinds = {}
    for r in resources.values():
        kinds[r["Type"]] = kinds.get(r["Type"], 0) + 1
    print(f"expanded by aws-sam-translator: {len(resources)} resources: "
          + ", ".join(f"{n} {t}" for t, n in sorted(kinds.items())))


if __name__ == "__main__":
    main()
