#!/usr/bin/env python3
"""Reads a deployed stack back from the cloud's own APIs (boto3: CloudFormation, Lambda, IAM, API
Gateway v2, DynamoDB, CloudWatch Logs, CloudWatch, S3) and compares every resource with the
expanded template (scripts/sam-expand.py), its intrinsics resolved with the stack's parameters
and the physical ids the stack reports. Nothing expected is read from the stack's own template.

  deploy-readback.py check EXPANDED.json STACK INVENTORY.json BUILD_DIR [--changed P1,P2] Key=Value...
      every logical id present and complete, each resource's properties; writes INVENTORY.json
      (logical id, type, physical id) for `gone`. --changed: each named parameter must reach at
      least one property read back (an update's parameters took effect where they should).
  deploy-readback.py gone STACK INVENTORY.json
      the stack and every resource it had are gone, but those with DeletionPolicy: Retain, which
      must still be there (and are then deleted here).

Each mismatch prints "LogicalId.Property: template <value>, stack <value>"; exit status 1 if any.
Endpoint, region and credentials come from the environment (AWS_ENDPOINT_URL, ...).
"""
import hashlib
import io
import json
import os
import sys
import zipfile
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

REGION = os.environ.get("AWS_REGION", "us-east-1")
NO_VALUE = object()


# What fakecloud 0.51.0 does differently from CloudFormation, each recognised narrowly (the stack's
# value must be exactly what the gap makes of the template's), reported, and not counted as a
# failure: the template is not at fault. Anything else that differs fails.
def gap_log_group_ref(where, template, stack):
    if where.endswith(".LoggingConfig.LogGroup") and isinstance(template, str) and \
            stack == f"arn:aws:logs:{REGION}:{ACCOUNT[0]}:log-group:{template}:*":
        return "Ref of an AWS::Logs::LogGroup gives its ARN, where CloudFormation gives its name"


def gap_metric_math_threshold(where, template, stack):
    if where.endswith(".Threshold") and stack is None and where.split(".")[0] in METRIC_MATH_ALARMS:
        return "an alarm made with Metrics (metric math) loses its Threshold (PutMetricAlarm keeps it)"


GAPS = [gap_log_group_ref, gap_metric_math_threshold]
ACCOUNT = ["123456789012"]
METRIC_MATH_ALARMS = set()


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = []
        self.gaps = {}

    def same(self, where, template, stack):
        if norm(template) == norm(stack):
            self.passed += 1
            return
        if isinstance(template, list) and isinstance(stack, list) and all(isinstance(x, str) for x in template + stack):
            missing, extra = sorted(set(template) - set(stack)), sorted(set(stack) - set(template))
            if missing or extra:
                self.failed.append(f"{where}: the template's but not the stack's {show(missing)}, "
                                   f"the stack's but not the template's {show(extra)}")
                return
        for gap in GAPS:
            reason = gap(where, template, stack)
            if reason:
                self.gaps.setdefault(reason, []).append(where.split(".")[0])
                return
        self.failed.append(f"{where}: template {show(template)}, stack {show(stack)}")

    def true(self, where, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed.append(f"{where}: {detail}")


def show(v):
    s = json.dumps(v, sort_keys=True, default=str) if not isinstance(v, str) else repr(v)
    return s if len(s) < 400 else s[:400] + "…"


def norm(v):
    """Compares as CloudFormation does: numbers and their strings alike, dict order ignored."""
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items() if x is not NO_VALUE}
    if isinstance(v, list):
        return [norm(x) for x in v if x is not NO_VALUE]
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return str(int(v)) if float(v).is_integer() else str(v)
    if isinstance(v, str):
        try:
            f = float(v)
            return str(int(f)) if f.is_integer() else str(f)
        except ValueError:
            return v
    return v


def client(name):
    return boto3.client(name, region_name=REGION)


class Resolver:
    """CloudFormation's intrinsics over the expanded template, with the stack's values."""

    def __init__(self, template, params, physical, stack_name, account):
        self.t = template
        self.params = params
        self.physical = physical
        self.pseudo = {"AWS::Region": REGION, "AWS::AccountId": account, "AWS::Partition": "aws",
                       "AWS::StackName": stack_name, "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": NO_VALUE}
        self.attrs = {}
        self.touched = set()  # parameters the last resolve() read

    def ref(self, name):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            self.touched.add(name)
            return self.params[name]
        if name in self.physical:
            return self.physical[name]
        raise KeyError(f"Ref {name}: no such parameter or resource in the stack")

    def getatt(self, logical, attr):
        key = (logical, attr)
        if key not in self.attrs:
            kind = self.t["Resources"][logical]["Type"]
            phys = self.physical[logical]
            if (kind, attr) == ("AWS::DynamoDB::Table", "Arn"):
                v = client("dynamodb").describe_table(TableName=phys)["Table"]["TableArn"]
            elif (kind, attr) == ("AWS::IAM::Role", "Arn"):
                v = client("iam").get_role(RoleName=phys)["Role"]["Arn"]
            elif (kind, attr) == ("AWS::Lambda::Function", "Arn"):
                v = client("lambda").get_function_configuration(FunctionName=phys)["FunctionArn"]
            elif (kind, attr) == ("AWS::Logs::LogGroup", "Arn"):
                # CloudFormation's Arn of a log group ends in ":*" (describe-log-groups' "arn").
                v = log_group(phys)["arn"]
            else:
                raise KeyError(f"GetAtt {logical}.{attr} ({kind}): not resolvable here")
            self.attrs[key] = v
        return self.attrs[key]

    def condition(self, name):
        return self.resolve(self.t["Conditions"][name])

    def resolve(self, v):
        if isinstance(v, list):
            return [x for x in (self.resolve(i) for i in v) if x is not NO_VALUE]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (k, a), = v.items()
            if k == "Ref":
                return self.ref(a)
            if k == "Fn::GetAtt":
                logical, attr = a if isinstance(a, list) else a.split(".", 1)
                return self.getatt(logical, attr)
            if k == "Fn::Sub":
                text, names = (a, {}) if isinstance(a, str) else (a[0], {n: self.resolve(x) for n, x in a[1].items()})
                return self.sub(text, names)
            if k == "Fn::Join":
                return a[0].join(str(x) for x in self.resolve(a[1]))
            if k == "Fn::If":
                return self.resolve(a[1] if self.condition(a[0]) else a[2])
            if k == "Fn::Equals":
                return norm(self.resolve(a[0])) == norm(self.resolve(a[1]))
            if k == "Fn::Not":
                return not self.resolve(a[0])
            if k == "Fn::And":
                return all(self.resolve(x) for x in a)
            if k == "Fn::Or":
                return any(self.resolve(x) for x in a)
            if k == "Condition":
                return self.condition(a)
            if k == "Fn::Select":
                return self.resolve(a[1])[int(self.resolve(a[0]))]
            if k == "Fn::Split":
                return str(self.resolve(a[1])).split(a[0])
            if k.startswith("Fn::"):
                raise KeyError(f"{k}: not resolvable here")
        return {k: x for k, x in ((k, self.resolve(x)) for k, x in v.items()) if x is not NO_VALUE}

    def sub(self, text, names):
        out, i = [], 0
        while True:
            j = text.find("${", i)
            if j < 0:
                out.append(text[i:])
                return "".join(out)
            out.append(text[i:j])
            end = text.index("}", j)
            name = text[j + 2:end]
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in names:
                out.append(str(names[name]))
            elif "." in name and name.split(".", 1)[0] in self.t["Resources"]:
                out.append(str(self.getatt(*name.split(".", 1))))
            else:
                out.append(str(self.ref(name)))
            i = end + 1


def cfn_physical_id(kind, phys):
    """The physical id CloudFormation reports (and Ref gives) for a role or log group is its name;
    fakecloud reports the ARN."""
    if kind == "AWS::Logs::LogGroup" and phys.startswith("arn:"):
        return phys.split(":log-group:", 1)[1].removesuffix(":*")
    if kind == "AWS::IAM::Role" and phys.startswith("arn:"):
        return phys.rsplit("/", 1)[1]
    return phys


def log_group(name):
    groups = client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    found = [g for g in groups if g["logGroupName"] == name]
    if not found:
        raise LookupError(f"log group {name} not found")
    return found[0]


def statements(doc):
    if isinstance(doc, str):
        doc = json.loads(doc)
    st = doc.get("Statement", [])
    return st if isinstance(st, list) else [st]


def as_list(v):
    return v if isinstance(v, list) else [v]


def tags_dict(tags):
    return {t["Key"]: t["Value"] for t in tags} if isinstance(tags, list) else dict(tags or {})


def elf_machine(data):
    return int.from_bytes(data[18:20], "little") if data[:4] == b"\x7fELF" else None


# --- one function per resource type: (checker, logical id, resolved properties, physical id, r) ---

def check_function(c, lid, p, phys, r, ctx):
    lam = client("lambda")
    got = lam.get_function(FunctionName=phys)
    cfg = got["Configuration"]
    for prop, key in [("Handler", "Handler"), ("Runtime", "Runtime"), ("MemorySize", "MemorySize"),
                      ("Timeout", "Timeout"), ("Architectures", "Architectures"), ("Role", "Role"),
                      ("Description", "Description")]:
        if prop in p:
            c.same(f"{lid}.{prop}", p[prop], cfg.get(key))
    c.same(f"{lid}.Environment.Variables", p.get("Environment", {}).get("Variables", {}),
           cfg.get("Environment", {}).get("Variables", {}))
    lc = p.get("LoggingConfig", {})
    for k in ("LogFormat", "LogGroup", "ApplicationLogLevel", "SystemLogLevel"):
        if k in lc:
            c.same(f"{lid}.LoggingConfig.{k}", lc[k], cfg.get("LoggingConfig", {}).get(k))
    c.same(f"{lid}.PackageType", "Zip", cfg.get("PackageType"))
    # Absent (ReservedConcurrency=0): nothing reserved, the account's unreserved pool is shared.
    c.same(f"{lid}.ReservedConcurrentExecutions", p.get("ReservedConcurrentExecutions"),
           lam.get_function_concurrency(FunctionName=phys).get("ReservedConcurrentExecutions"))
    if "Tags" in p and not ctx["emulator_transform"]:  # fakecloud's transform adds none
        stack_tags = {k: v for k, v in (got.get("Tags") or {}).items() if not k.startswith("aws:")}
        c.same(f"{lid}.Tags", tags_dict(p["Tags"]), stack_tags)
    # The code: the object the template names, as Lambda holds it, is the zip `sam build` made.
    code = p["Code"]
    obj = client("s3").get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read()
    import base64
    c.same(f"{lid}.Code (sha256 of s3://{code['S3Bucket']}/{code['S3Key']})",
           base64.b64encode(hashlib.sha256(obj).digest()).decode(), cfg.get("CodeSha256"))
    c.same(f"{lid}.Code (size)", len(obj), cfg.get("CodeSize"))
    z = zipfile.ZipFile(io.BytesIO(obj))
    c.same(f"{lid}.Code (files)", ["bootstrap"], sorted(z.namelist()))
    if "bootstrap" in z.namelist():
        data = z.read("bootstrap")
        mode = z.getinfo("bootstrap").external_attr >> 16
        c.true(f"{lid}.Code bootstrap executable", mode & 0o111, f"mode {oct(mode)}")
        c.same(f"{lid}.Code bootstrap ELF machine (0xb7 = aarch64)", 0xB7, elf_machine(data))
        built = Path(ctx["build_dir"]) / lid / "bootstrap"
        if built.exists():
            c.same(f"{lid}.Code bootstrap = {built}", hashlib.sha256(built.read_bytes()).hexdigest(),
                   hashlib.sha256(data).hexdigest())
        ctx["code"][lid] = len(data)


def policy_norm(doc):
    """IAM's reading of a policy: a single Action, Resource or principal is a list of one."""
    doc = json.loads(doc) if isinstance(doc, str) else doc
    out = []
    for s in statements(doc):
        s = dict(s)
        for k in ("Action", "NotAction", "Resource", "NotResource"):
            if k in s:
                s[k] = sorted(as_list(s[k]))
        if isinstance(s.get("Principal"), dict):
            s["Principal"] = {k: sorted(as_list(v)) for k, v in s["Principal"].items()}
        out.append(s)
    return {"Version": doc.get("Version"), "Statement": out}


def check_role(c, lid, p, phys, r, ctx):
    iam = client("iam")
    role = iam.get_role(RoleName=phys)["Role"]
    c.same(f"{lid}.AssumeRolePolicyDocument", policy_norm(p["AssumeRolePolicyDocument"]),
           policy_norm(role["AssumeRolePolicyDocument"]))
    attached = [a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=phys)["AttachedPolicies"]]
    c.same(f"{lid}.ManagedPolicyArns", sorted(p.get("ManagedPolicyArns", [])), sorted(attached))
    names = iam.list_role_policies(RoleName=phys)["PolicyNames"]
    docs = {n: policy_norm(iam.get_role_policy(RoleName=phys, PolicyName=n)["PolicyDocument"]) for n in names}
    want = {x["PolicyName"]: policy_norm(x["PolicyDocument"]) for x in p.get("Policies", [])}
    if ctx["emulator_transform"]:
        # fakecloud's transform names the inline policy otherwise: the statements must be the same.
        c.same(f"{lid}.Policies (statements)", [s for d in want.values() for s in d["Statement"]],
               [s for d in docs.values() for s in d["Statement"]])
    else:
        c.same(f"{lid}.Policies (names)", sorted(want), sorted(docs))
        for name, doc in want.items():
            c.same(f"{lid}.Policies[{name}]", doc, docs.get(name))
    ctx["roles"][role["Arn"]] = (lid, docs)


def check_permission(c, lid, p, phys, r, ctx):
    fn = p["FunctionName"]
    try:
        policy = json.loads(client("lambda").get_policy(FunctionName=fn)["Policy"])
    except ClientError as e:
        c.true(f"{lid}", False, f"no resource policy on {fn}: {e}")
        return
    want_src = p.get("SourceArn")
    match = [s for s in statements(policy)
             if "lambda:InvokeFunction" in as_list(s.get("Action"))
             and p["Principal"] in json.dumps(s.get("Principal"))
             and json.dumps(want_src) in json.dumps(s.get("Condition", {}))]
    c.true(f"{lid} (Principal {p['Principal']}, Action {p['Action']}, SourceArn {want_src})", len(match) == 1,
           f"template wants one statement on {fn}; the function's policy has {show(statements(policy))}")


def function_arn_of(uri):
    # arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations
    if isinstance(uri, str) and "/functions/" in uri:
        return uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
    return uri


def check_api(c, lid, p, phys, r, ctx):
    api = client("apigatewayv2")
    got = api.get_api(ApiId=phys)
    c.same(f"{lid}.ProtocolType", "HTTP", got.get("ProtocolType"))
    body = p.get("Body", {})
    if "info" in body and "title" in body["info"]:
        c.same(f"{lid}.Body.info.title (Name)", body["info"]["title"], got.get("Name"))
    want = {}
    for path, methods in body.get("paths", {}).items():
        for method, op in methods.items():
            integ = op["x-amazon-apigateway-integration"]
            want[f"{method.upper()} {path}"] = (function_arn_of(integ["uri"]), integ["type"].upper(),
                                                integ.get("payloadFormatVersion"), integ.get("httpMethod"))
    routes = api.get_routes(ApiId=phys, MaxResults="500")["Items"]
    integrations = {i["IntegrationId"]: i for i in api.get_integrations(ApiId=phys, MaxResults="500")["Items"]}
    got_keys = {rt["RouteKey"]: rt for rt in routes}
    c.same(f"{lid} route keys", sorted(want), sorted(got_keys))
    for key, (fn_arn, kind, version, method) in sorted(want.items()):
        rt = got_keys.get(key)
        if rt is None:
            continue
        integ = integrations.get(rt.get("Target", "").removeprefix("integrations/"), {})
        c.same(f"{lid} route '{key}' -> function", fn_arn, function_arn_of(integ.get("IntegrationUri")))
        c.same(f"{lid} route '{key}' integration type", kind, integ.get("IntegrationType"))
        c.same(f"{lid} route '{key}' payload format", version, integ.get("PayloadFormatVersion"))
        c.same(f"{lid} route '{key}' authorization", "NONE", rt.get("AuthorizationType", "NONE"))
    ctx["routes"] = len(got_keys)
    ctx["api_endpoint"] = got.get("ApiEndpoint")


def check_stage(c, lid, p, phys, r, ctx):
    api_id = p["ApiId"]
    got = client("apigatewayv2").get_stage(ApiId=api_id, StageName=p["StageName"])
    c.same(f"{lid}.StageName", p["StageName"], got.get("StageName"))
    c.same(f"{lid}.AutoDeploy", p.get("AutoDeploy", False), got.get("AutoDeploy", False))
    for k, v in p.get("DefaultRouteSettings", {}).items():
        c.same(f"{lid}.DefaultRouteSettings.{k}", v, got.get("DefaultRouteSettings", {}).get(k))
    for k, v in p.get("AccessLogSettings", {}).items():
        c.same(f"{lid}.AccessLogSettings.{k}", v, got.get("AccessLogSettings", {}).get(k))
    if "Tags" in p and not ctx["emulator_transform"]:
        c.same(f"{lid}.Tags", p["Tags"], got.get("Tags", {}))


def check_table(c, lid, p, phys, r, ctx):
    ddb = client("dynamodb")
    t = ddb.describe_table(TableName=phys)["Table"]
    c.same(f"{lid}.KeySchema", p["KeySchema"], t.get("KeySchema"))
    c.same(f"{lid}.AttributeDefinitions", sorted(p["AttributeDefinitions"], key=str),
           sorted(t.get("AttributeDefinitions", []), key=str))
    c.same(f"{lid}.BillingMode", p.get("BillingMode", "PROVISIONED"),
           t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"))
    ttl = ddb.describe_time_to_live(TableName=phys)["TimeToLiveDescription"]
    spec = p.get("TimeToLiveSpecification", {})
    c.same(f"{lid}.TimeToLiveSpecification.Enabled", "ENABLED" if spec.get("Enabled") else "DISABLED",
           ttl.get("TimeToLiveStatus"))
    if spec.get("Enabled"):
        c.same(f"{lid}.TimeToLiveSpecification.AttributeName", spec.get("AttributeName"), ttl.get("AttributeName"))
    pitr = p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
    got = ddb.describe_continuous_backups(TableName=phys)["ContinuousBackupsDescription"]
    c.same(f"{lid}.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled",
           "ENABLED" if pitr else "DISABLED",
           got.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus"))
    ctx["tables"][lid] = t["TableArn"]


def check_log_group(c, lid, p, phys, r, ctx):
    g = log_group(phys)
    c.same(f"{lid}.RetentionInDays", p.get("RetentionInDays"), g.get("retentionInDays"))


ALARM_PROPS = ["AlarmDescription", "Namespace", "MetricName", "Statistic", "ExtendedStatistic", "Period",
               "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData"]


def check_alarm(c, lid, p, phys, r, ctx):
    found = client("cloudwatch").describe_alarms(AlarmNames=[phys])["MetricAlarms"]
    if not found:
        c.true(lid, False, f"alarm {phys} not found")
        return
    a = found[0]
    for k in ALARM_PROPS:
        if k in p:
            c.same(f"{lid}.{k}", p[k], a.get(k))
    if "Dimensions" in p:
        c.same(f"{lid}.Dimensions", p["Dimensions"], a.get("Dimensions"))
    c.same(f"{lid}.AlarmActions", p.get("AlarmActions", []), a.get("AlarmActions", []))
    c.same(f"{lid}.ActionsEnabled", p.get("ActionsEnabled", True), a.get("ActionsEnabled", True))
    if "Metrics" in p:
        c.same(f"{lid}.Metrics", p["Metrics"], [strip_metric(m) for m in a.get("Metrics", [])])
    ctx["alarms"][lid] = a.get("AlarmActions", [])


def strip_metric(m):
    keep = {"Id", "Expression", "Label", "ReturnData", "MetricStat", "Period"}
    return {k: v for k, v in m.items() if k in keep}


def check_dashboard(c, lid, p, phys, r, ctx):
    got = client("cloudwatch").get_dashboard(DashboardName=phys)
    c.same(f"{lid}.DashboardName", p.get("DashboardName", phys), got.get("DashboardName"))
    c.same(f"{lid}.DashboardBody", json.loads(p["DashboardBody"]), json.loads(got["DashboardBody"]))


CHECKS = {
    "AWS::Lambda::Function": check_function,
    "AWS::IAM::Role": check_role,
    "AWS::Lambda::Permission": check_permission,
    "AWS::ApiGatewayV2::Api": check_api,
    "AWS::ApiGatewayV2::Stage": check_stage,
    "AWS::DynamoDB::Table": check_table,
    "AWS::Logs::LogGroup": check_log_group,
    "AWS::CloudWatch::Alarm": check_alarm,
    "AWS::CloudWatch::Dashboard": check_dashboard,
}


def check_policies(c, template, physical, params, ctx, r):
    """What the README claims of the roles, read back: every function reads the one secret by its
    ARN (GetSecretValue, nothing else of Secrets Manager) and, only when SecretKmsKeyArn is set,
    may decrypt with that one key through Secrets Manager; table actions only on the tables, the
    idempotency table only for the action functions; no resource "*"."""
    secret = params["StoreSecretArn"]
    kms_key = params.get("SecretKmsKeyArn", "")
    for lid, res in template["Resources"].items():
        if res["Type"] != "AWS::Lambda::Function":
            continue
        role_arn = r.resolve(res["Properties"]["Role"])
        role_lid, docs = ctx["roles"].get(role_arn, (None, {}))
        c.true(f"{lid} role", role_lid is not None, f"its role {role_arn} is not one of the stack's roles")
        env = res["Properties"].get("Environment", {}).get("Variables", {})
        action_fn = "IDEMPOTENCY_TABLE" in env
        reads_secret = False
        decrypts = False
        idem = False
        for name, doc in docs.items():
            for s in statements(doc):
                where = f"{role_lid}.Policies[{name}] {show(s.get('Action'))}"
                res_list = as_list(s.get("Resource"))
                c.true(where + " resource not '*'", "*" not in res_list, f"Resource {show(res_list)}")
                for action in as_list(s.get("Action")):
                    if action.startswith("secretsmanager:"):
                        c.same(where + " GetSecretValue only", "secretsmanager:GetSecretValue", action)
                        c.same(where + " secret ARN only", [secret], res_list)
                        reads_secret = True
                    elif action.startswith("kms:"):
                        c.same(where + " Decrypt only", "kms:Decrypt", action)
                        c.same(where + " the SecretKmsKeyArn key only", [kms_key], res_list)
                        c.same(where + " through Secrets Manager only",
                               {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}},
                               s.get("Condition"))
                        decrypts = True
                    elif action.startswith("dynamodb:"):
                        c.true(where + " on a table of the stack", all(x in ctx["tables"].values() for x in res_list),
                               f"Resource {show(res_list)}, tables {show(ctx['tables'])}")
                        idem |= ctx["tables"].get("IdempotencyTable") in res_list
                    else:
                        c.true(where, False, f"action {action} is not one the README defends")
        c.true(f"{lid} reads the store secret", reads_secret, "no secretsmanager statement")
        c.true(f"{lid} may decrypt with a KMS key only when SecretKmsKeyArn is set", decrypts == bool(kms_key),
               f"SecretKmsKeyArn {kms_key!r}, kms:Decrypt in its policy: {decrypts}")
        c.true(f"{lid} idempotency table access only if an action function", idem == action_fn,
               f"action function: {action_fn}, idempotency table in its policy: {idem}")


def check(argv):
    expanded, stack_name, inventory, build_dir, *rest = argv
    changed = []
    emulator_transform = False
    while rest and rest[0].startswith("--"):
        if rest[0] == "--changed":
            changed = [x for x in rest[1].split(",") if x]
            rest = rest[2:]
        elif rest[0] == "--emulator-transform":
            emulator_transform = True
            rest = rest[1:]
        else:
            sys.exit(f"unknown option {rest[0]}")
    template = json.loads(Path(expanded).read_text())
    params = {k: str(v["Default"]) for k, v in template.get("Parameters", {}).items() if "Default" in v}
    params.update(x.split("=", 1) for x in rest)
    cfn = client("cloudformation")
    c = Checker()
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    c.true("stack status", stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack["StackStatus"])
    got_params = {x["ParameterKey"]: x.get("ResolvedValue", x.get("ParameterValue")) for x in stack.get("Parameters", [])}
    for k, v in params.items():
        c.same(f"Parameters.{k}", v, got_params.get(k))
    summaries = []
    token = None
    while True:
        page = cfn.list_stack_resources(StackName=stack_name, **({"NextToken": token} if token else {}))
        summaries += page["StackResourceSummaries"]
        token = page.get("NextToken")
        if not token:
            break
    physical = {s["LogicalResourceId"]: cfn_physical_id(s["ResourceType"], s["PhysicalResourceId"]) for s in summaries}
    arn_ids = sum(1 for s in summaries if cfn_physical_id(s["ResourceType"], s["PhysicalResourceId"]) != s["PhysicalResourceId"])
    if arn_ids:
        c.gaps.setdefault("a role's or log group's physical id is its ARN, where CloudFormation gives its name", []).extend(
            s["LogicalResourceId"] for s in summaries if s["PhysicalResourceId"].startswith("arn:"))
    types = {s["LogicalResourceId"]: s["ResourceType"] for s in summaries}
    if emulator_transform:
        # fakecloud's own SAM transform: an Integration and a Route per event and another name for
        # the stage, where CloudFormation's puts the routes in the API's OpenAPI body.
        missing = sorted(set(template["Resources"]) - set(physical))
        extra = sorted(set(physical) - set(template["Resources"]))
        stage_missing = [m for m in missing if template["Resources"][m]["Type"] == "AWS::ApiGatewayV2::Stage"]
        c.same("logical ids (but the stage)", [m for m in missing if m not in stage_missing], [])
        own = {}
        for e in extra:
            own[types[e]] = own.get(types[e], 0) + 1
        print(f"  fakecloud's own SAM transform made {len(physical)} resources where aws-sam-translator makes "
              f"{len(template['Resources'])}: also {', '.join(f'{n} {k}' for k, n in sorted(own.items()))}"
              + (f"; stage {stage_missing} is {[e for e in extra if types[e] == 'AWS::ApiGatewayV2::Stage']}" if stage_missing else ""))
        c.true("fakecloud's transform: only routes, integrations and the stage differ",
               set(own) <= {"AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Stage"},
               f"extra resources {show(own)}")
        for m in stage_missing:
            for e in extra:
                if types[e] == "AWS::ApiGatewayV2::Stage":
                    template["Resources"][e] = template["Resources"].pop(m)
    else:
        c.same("logical ids", sorted(template["Resources"]), sorted(physical))
    for s in summaries:
        lid = s["LogicalResourceId"]
        if lid in template["Resources"]:
            c.same(f"{lid} type", template["Resources"][lid]["Type"], s["ResourceType"])
        c.true(f"{lid} status", s["ResourceStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), s["ResourceStatus"])
    account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    ACCOUNT[0] = account
    METRIC_MATH_ALARMS.update(k for k, v in template["Resources"].items()
                              if v["Type"] == "AWS::CloudWatch::Alarm" and "Metrics" in v.get("Properties", {}))
    r = Resolver(template, params, physical, stack_name, account)
    ctx = {"build_dir": build_dir, "code": {}, "roles": {}, "tables": {}, "alarms": {},
           "emulator_transform": emulator_transform}
    reached = {p: {} for p in changed}
    order = sorted(template["Resources"], key=lambda k: (template["Resources"][k]["Type"] != "AWS::DynamoDB::Table", k))
    for lid in order:
        res = template["Resources"][lid]
        if lid not in physical:
            continue
        fn = CHECKS.get(res["Type"])
        if fn is None:
            c.true(lid, False, f"no read-back for type {res['Type']}: add one to scripts/deploy-readback.py")
            continue
        if "Condition" in res and not r.condition(res["Condition"]):
            continue
        try:
            props = {}
            for key, value in res.get("Properties", {}).items():
                r.touched = set()
                v = r.resolve(value)
                if v is not NO_VALUE:
                    props[key] = v
                for p_name in r.touched & set(reached):  # the properties a changed parameter reaches
                    what = f"{res['Type'].rsplit('::', 1)[1]}.{key}"
                    reached[p_name][what] = reached[p_name].get(what, 0) + 1
            fn(c, lid, props, physical[lid], r, ctx)
        except (ClientError, KeyError, LookupError) as e:
            c.true(lid, False, f"read-back failed: {e}")
    try:
        check_policies(c, template, physical, params, ctx, r)
    except (ClientError, KeyError) as e:
        c.true("policies", False, f"read-back failed: {e}")
    got_out = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    want_out = {k: r.resolve(v["Value"]) for k, v in template.get("Outputs", {}).items()}
    c.same("Outputs", want_out, got_out)
    for p_name, where in reached.items():
        c.true(f"parameter {p_name}={params.get(p_name)!r} reached the stack", bool(where), "no property read back depends on it")
    Path(inventory).write_text(json.dumps(
        {"stack": stack_name, "resources": {k: [types[k], v] for k, v in physical.items()},
         # What `sam delete` must leave in place (DeletionPolicy: Retain): the exactly-once ledger.
         "retained": sorted(k for k in physical if template["Resources"].get(k, {}).get("DeletionPolicy") == "Retain"),
         "code": [template["Resources"][k]["Properties"]["Code"] for k in template["Resources"]
                  if template["Resources"][k]["Type"] == "AWS::Lambda::Function"]}, indent=1))
    kinds = {}
    for res in template["Resources"].values():
        kinds[res["Type"].split("::", 1)[1]] = kinds.get(res["Type"].split("::", 1)[1], 0) + 1
    print(f"read back {stack_name}: {len(physical)} resources ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
          f"{ctx.get('routes', 0)} routes, {len(got_out)} outputs; code: "
          + ", ".join(f"{k.removesuffix('Function')} {v // 1024} KiB" for k, v in sorted(ctx["code"].items())))
    for p_name, where in reached.items():
        print(f"  changed {p_name}={params.get(p_name)!r}, read back as the template says in "
              + ", ".join(f"{n} {w}" for w, n in sorted(where.items())))
    for reason, where in c.gaps.items():
        print(f"  fakecloud gap, not failed: {reason} ({len(where)}: {', '.join(sorted(set(where)))[:200]})")
    for f in c.failed:
        print("MISMATCH " + f)
    print(f"read back {stack_name}: {c.passed} passed, {len(c.failed)} failed")
    return 1 if c.failed else 0


def exists(kind, phys):
    """Whether the resource can still be read; None when nothing can tell (gone with its parent)."""
    try:
        if kind == "AWS::Lambda::Function":
            client("lambda").get_function(FunctionName=phys)
        elif kind == "AWS::IAM::Role":
            client("iam").get_role(RoleName=phys)
        elif kind == "AWS::ApiGatewayV2::Api":
            client("apigatewayv2").get_api(ApiId=phys)
        elif kind == "AWS::DynamoDB::Table":
            client("dynamodb").describe_table(TableName=phys)
        elif kind == "AWS::Logs::LogGroup":
            log_group(phys)
        elif kind == "AWS::CloudWatch::Alarm":
            return bool(client("cloudwatch").describe_alarms(AlarmNames=[phys])["MetricAlarms"])
        elif kind == "AWS::CloudWatch::Dashboard":
            client("cloudwatch").get_dashboard(DashboardName=phys)
        else:
            return None  # permissions and the stage go with their function and API
        return True
    except (ClientError, LookupError):
        return False


def gone(argv):
    stack_name, inventory = argv
    inv = json.loads(Path(inventory).read_text())
    c = Checker()
    cfn = client("cloudformation")
    try:
        status = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    except ClientError:
        status = "gone"
    c.true(f"stack {stack_name}", status in ("gone", "DELETE_COMPLETE"), f"still {status}")
    retained = set(inv.get("retained", []))
    for lid, (kind, phys) in inv["resources"].items():
        e = exists(kind, phys)
        if lid in retained:
            c.true(f"{lid} retained (DeletionPolicy: Retain)", e, f"{kind} {phys} was deleted with the stack")
            if e and kind == "AWS::DynamoDB::Table":
                # Kept as it should be; the check removes it itself so that nothing is left.
                client("dynamodb").delete_table(TableName=phys)
                print(f"  {lid} ({phys}) outlived the stack as DeletionPolicy: Retain says; deleted it by hand")
            continue
        c.true(f"{lid} deleted", not e, f"{kind} {phys} still exists")
    s3 = client("s3")
    for code in inv["code"]:
        try:
            s3.head_object(Bucket=code["S3Bucket"], Key=code["S3Key"])
            c.true(f"s3://{code['S3Bucket']}/{code['S3Key']} deleted", False, "the artifact is still there")
        except ClientError:
            c.passed += 1
    for f in c.failed:
        print("LEFT " + f)
    print(f"after sam delete {stack_name}: {c.passed} passed, {len(c.failed)} failed "
          f"({len(inv['resources']) - len(retained)} resources and {len(inv['code'])} artifacts checked gone, "
          f"{len(retained)} checked retained)")
    return 1 if c.failed else 0


if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or [""]
    if cmd == "check":
        sys.exit(check(args))
    if cmd == "gone":
        sys.exit(gone(args))
    sys.exit(__doc__)
