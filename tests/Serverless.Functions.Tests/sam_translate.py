"""Translates template.yaml (SAM) into plain CloudFormation JSON on stdout, offline, as `sam package` + the
CloudFormation transform would: local CodeUris become S3 URIs first, managed policies resolve to nothing."""
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


class NoManagedPolicies:
    def load(self):
        return {}


def main(path):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    function_globals = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in function_globals:
        function_globals["CodeUri"] = "s3://bucket/functions.zip"
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function" and "CodeUri" in resource.get("Properties", {}):
            resource["Properties"]["CodeUri"] = "s3://bucket/functions.zip"
    print(json.dumps(transform(template, {}, NoManagedPolicies()), indent=1, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
