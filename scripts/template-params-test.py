#!/usr/bin/env python3
"""Holds template.yaml's parameter constraints (AllowedPattern, AllowedValues, MinValue, MaxValue,
the Number type) against good and bad values, as CloudFormation checks them before it creates a
change set. Emulators (moto, fakecloud) do not check them, so `make deploy-check` cannot show a
refusal; this does, and prints the message CloudFormation gives (a ValidationError from
CreateChangeSet, which `sam deploy` prints as "Failed to create changeset").

Usage: template-params-test.py [TEMPLATE]   (prints each case, then "N passed, N failed")
Fails too when a parameter has no case, a constrained parameter has no ConstraintDescription (the
message would then show a raw regular expression), or a Default breaks its own constraint.
"""
import re
import sys
from pathlib import Path

from samcli.yamlhelper import yaml_parse

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:gladly-bigcommerce-AbC123"
TOPIC = "arn:aws:sns:us-east-1:123456789012:gladly-alarms"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# Every retention CloudWatch Logs accepts (PutRetentionPolicy's retentionInDays).
CLOUDWATCH_RETENTIONS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                         2192, 2557, 2922, 3288, 3653}

# parameter: (values CloudFormation must accept, values it must refuse, with why)
CASES = {
    "StoreSecretArn": (
        [SECRET, "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:s-AbC123",
         "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:s-AbC123"],
        [("gladly-bigcommerce", "the secret's name, not its ARN"),
         ("", "empty"),
         ("arn:aws:secretsmanager:us-east-1:123456789012:gladly-bigcommerce", "no secret: part"),
         ("arn:aws:ssm:us-east-1:123456789012:parameter/gladly", "an SSM parameter"),
         ("arn:aws:secretsmanager:us-east-1:1234:secret:s-AbC123", "a short account id"),
         (" " + SECRET, "a leading space (pasted)"),
         ("arn:aws:secretsmanager:us-east-1:123456789012:secret:*", "every secret of the account"),
         ("arn:aws:secretsmanager:us-east-1:123456789012:secret:gladly-*", "a wildcard name"),
         ("arn:aws:secretsmanager:us-east-1:123456789012:secret:gladly-bigcommerce-??????", "? wildcards"),
         ("arn:aws:secretsmanager:*:123456789012:secret:gladly-bigcommerce-AbC123", "every region"),
         ("arn:aws:secretsmanager:us-east-1:123456789012:secret:gladly-bigcommerce", "a partial ARN (no 6-char suffix)")],
    ),
    "SecretKmsKeyArn": (
        ["", KEY, "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
         "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
        [("arn:aws:kms:us-east-1:123456789012:key/*", "every key of the account"),
         ("arn:aws:kms:us-east-1:123456789012:alias/gladly", "an alias (grants nothing)"),
         ("1234abcd-12ab-34cd-56ef-1234567890ab", "the key id, not its ARN"),
         ("arn:aws:kms:*:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "every region"),
         (SECRET, "the secret's ARN"),
         (KEY + " ", "a trailing space (pasted)")],
    ),
    "ReservedConcurrency": (
        ["0", "1", "20", "1000"],
        [("-1", "negative"), ("1001", "above MaxValue"), ("none", "not a number"), ("", "empty: 0 is none")],
    ),
    "OrderLimit": (
        ["1", "10", "50"],
        [("0", "below MinValue"), ("51", "above MaxValue"), ("-1", "negative"), ("ten", "not a number")],
    ),
    "LogLevel": (
        ["error", "warn", "info", "debug"],
        [("DEBUG", "upper case"), ("trace", "not offered"), ("", "empty")],
    ),
    "LogRetentionDays": (
        ["1", "30", "365"],
        [("45", "CloudWatch Logs has no 45-day retention"), ("0", "not a retention"),
         ("thirty", "not a number")],
    ),
    "ThrottlingRateLimit": (["1", "50", "1000"], [("0", "would refuse every request"), ("fast", "not a number")]),
    "ThrottlingBurstLimit": (["1", "100"], [("0", "would refuse every request"), ("-5", "negative")]),
    "QuotaAlarmThreshold": (["0", "20"], [("-1", "negative"), ("twenty", "not a number")]),
    "UnauthorizedAlarmThreshold": (["1", "10"], [("0", "would alarm on nothing"), ("ten", "not a number")]),
    "AlarmTopicArn": (
        ["", TOPIC, "arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops_alerts"],
        [("gladly-alarms", "the topic's name, not its ARN"),
         ("arn:aws:sqs:us-east-1:123456789012:gladly-alarms", "a queue's ARN"),
         ("arn:aws:sns:us-east-1:123456789012:", "no topic name"),
         ("ops@example.com", "an email address (subscribe it to a topic instead)"),
         ("https://sns.us-east-1.amazonaws.com/123456789012/gladly-alarms", "a URL")],
    ),
}


def number(value):
    try:
        return float(value)
    except ValueError:
        return None


def refusal(name, spec, value):
    """CloudFormation's ValidationError for this value, or None when it accepts it."""
    why = None
    if spec["Type"] == "Number":
        n = number(value)
        if n is None:
            return f"Parameter '{name}' must be a number."
        if "MinValue" in spec and n < float(spec["MinValue"]):
            why = "min"
        if "MaxValue" in spec and n > float(spec["MaxValue"]):
            why = "max"
    # The pattern must match the whole value (Java's matches()).
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        why = "pattern"
    if "AllowedValues" in spec:
        allowed = [str(v) for v in spec["AllowedValues"]]
        if spec["Type"] == "Number":
            ok = number(value) in [number(v) for v in allowed]
        else:
            ok = value in allowed
        if not ok:
            why = "values"
    if why is None:
        return None
    if "ConstraintDescription" in spec:
        return f"Parameter {name} failed to satisfy constraint: {spec['ConstraintDescription']}"
    return {
        "min": f"Parameter '{name}' must be a number not less than {spec.get('MinValue')}",
        "max": f"Parameter '{name}' must be a number not greater than {spec.get('MaxValue')}",
        "pattern": f"Parameter '{name}' must match pattern {spec.get('AllowedPattern')}",
        "values": f"Parameter '{name}' must be one of AllowedValues",
    }[why]


def main():
    template = yaml_parse(Path(sys.argv[1] if len(sys.argv) > 1 else "template.yaml").read_text())
    params = template["Parameters"]
    passed = failed = 0

    def check(ok, line):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(("ok   " if ok else "FAIL ") + line)

    for name in sorted(set(params) - set(CASES)):
        check(False, f"{name}: no cases here (add good and bad values to CASES)")
    for name in sorted(set(CASES) - set(params)):
        check(False, f"{name}: has cases but the template has no such parameter")
    for name, (good, bad) in CASES.items():
        spec = params.get(name)
        if spec is None:
            continue
        constrained = {"AllowedPattern", "AllowedValues", "MinValue", "MaxValue"} & set(spec)
        check(bool(constrained), f"{name}: constrained by {', '.join(sorted(constrained)) or 'nothing'}")
        check("ConstraintDescription" in spec, f"{name}: has a ConstraintDescription")
        if "Default" in spec:
            msg = refusal(name, spec, str(spec["Default"]))
            check(msg is None, f"{name}: its Default {spec['Default']!r} is accepted" + (f" (refused: {msg})" if msg else ""))
        for value in good:
            msg = refusal(name, spec, value)
            check(msg is None, f"{name}={value!r} accepted" + (f", but refused: {msg}" if msg else ""))
        for value, why in bad:
            msg = refusal(name, spec, value)
            check(msg is not None, f"{name}={value!r} ({why}) refused" + (f": {msg}" if msg else ", but ACCEPTED"))
    retention = params.get("LogRetentionDays", {})
    extra = {int(v) for v in retention.get("AllowedValues", [])} - CLOUDWATCH_RETENTIONS
    check(not extra, f"LogRetentionDays: every allowed value is a retention CloudWatch Logs accepts{f' (not: {sorted(extra)})' if extra else ''}")
    print(f"template parameters: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
