#!/usr/bin/env python3
"""`make lint`: scripts/check-functions is shown to fail when the monitoring forgets a function.
Each case takes template.yaml as it is (which must pass), removes one function (or one action's
outcome) from one place, and expects a problem naming what was removed.
Prints each case, then "N passed, N failed"; exits non-zero if any failed.
"""
import copy
import importlib.machinery
import importlib.util
import json
import sys
from pathlib import Path

from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
loader = importlib.machinery.SourceFileLoader("check_functions", str(ROOT / "scripts/check-functions"))
spec = importlib.util.spec_from_loader("check_functions", loader)
cf = importlib.util.module_from_spec(spec)
loader.exec_module(cf)

TEMPLATE = yaml_parse((ROOT / "template.yaml").read_text())
LISTED = sorted(p.parent.name for p in (ROOT / "functions").glob("*/Cargo.toml"))


def without_alarm_metric(alarm, function):
    def change(t):
        metrics = t["Resources"][alarm]["Properties"]["Metrics"]
        gone = [m["Id"] for m in metrics if "MetricStat" in m and
                {"Name": "Function", "Value": function} in m["MetricStat"]["Metric"]["Dimensions"]]
        metrics[:] = [m for m in metrics if m.get("Id") not in gone]
        for m in metrics:  # and from the expression, as a careful editor would
            if "Expression" in m:
                for i in gone:
                    m["Expression"] = m["Expression"].replace(f", {i}", "").replace(f"{i}, ", "")
    return change


def only_from_expression(alarm, metric_id):
    def change(t):
        for m in t["Resources"][alarm]["Properties"]["Metrics"]:
            if "Expression" in m:
                m["Expression"] = m["Expression"].replace(f", {metric_id}", "")
    return change


def dashboard(keep):
    def change(t):
        sub = t["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
        body = json.loads(sub["Fn::Sub"])
        for w in body["widgets"]:
            w["properties"]["metrics"] = [m for m in w["properties"]["metrics"] if keep(m)]
        sub["Fn::Sub"] = json.dumps(body)
    return change


def without_errors_alarm(logical):
    def change(t):
        del t["Resources"][logical]
    return change


CASES = [
    ("QuotaNearlySpentAlarm leaves out update-address", without_alarm_metric("QuotaNearlySpentAlarm", "update-address"), "update-address"),
    ("UnauthorizedBurstAlarm leaves out create-gift-certificate",
     without_alarm_metric("UnauthorizedBurstAlarm", "create-gift-certificate"), "create-gift-certificate"),
    ("UnauthorizedBurstAlarm lists m7 but its expression does not use it", only_from_expression("UnauthorizedBurstAlarm", "m7"), "m7"),
    ("the dashboard leaves cancel-order out of every widget",
     dashboard(lambda m: "cancel-order" not in m), "cancel-order"),
    ("the dashboard leaves create-gift-certificate out of the Latency widget",
     dashboard(lambda m: m[1:4] != ["Latency", "Function", "create-gift-certificate"]), "create-gift-certificate"),
    ("the dashboard charts no gift_certificate action", dashboard(lambda m: "gift_certificate" not in m), "gift_certificate"),
    ("the dashboard charts no misconfigured outcome of address",
     dashboard(lambda m: m[3:6] != ["address", "ActionOutcome", "misconfigured"]), "misconfigured"),
    ("no Errors alarm for update-address", without_errors_alarm("UpdateAddressErrorsAlarm"), "update-address"),
]


def main():
    passed = failed = 0

    def check(ok, line):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(("ok   " if ok else "FAIL ") + line)

    base = cf.monitoring(TEMPLATE, LISTED)
    check(not base, f"template.yaml as it is passes{'' if not base else ': ' + '; '.join(base)}")
    for what, change, named in CASES:
        t = copy.deepcopy(TEMPLATE)
        change(t)
        problems = cf.monitoring(t, LISTED)
        hit = [p for p in problems if named in p]
        check(bool(hit), f"{what}: " + (f"refused ({hit[0]})" if hit else f"NOT refused (problems: {problems})"))
    print(f"check-functions-test: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
