"""Creates the demo store secret, the idempotency table and (if named) the lookup cache table in
a local AWS emulator (moto).

Usage: aws-setup.py ENDPOINT SECRET_NAME TABLE_NAME SECRET_JSON [CACHE_TABLE_NAME]
Idempotent: an existing secret gets the new value, an existing table is kept.
"""
import sys

import boto3

endpoint, secret_name, table, secret_json = sys.argv[1:5]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
sm = boto3.client("secretsmanager", **kw)
try:
    sm.create_secret(Name=secret_name, SecretString=secret_json)
except sm.exceptions.ResourceExistsException:
    sm.put_secret_value(SecretId=secret_name, SecretString=secret_json)
ddb = boto3.client("dynamodb", **kw)


def table_with_ttl(name, key):
    try:
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    except ddb.exceptions.ResourceInUseException:
        pass


table_with_ttl(table, "request_id")
if len(sys.argv) > 5:
    table_with_ttl(sys.argv[5], "k")
print(f"secret {secret_name} and tables ready at {endpoint}")
