"""Makes the EKS bearer token the way `aws eks get-token` does, at a fixed time, and prints it.

The independent side of EksTokenTests.cs. awscli's get-token (awscli/customizations/eks/get_token.py) creates an STS
client, registers two handlers that carry the `x-k8s-aws-id` parameter into a header before signing, and calls
generate_presigned_url('get_caller_identity', Params={'x-k8s-aws-id': cluster}, ExpiresIn=60, HttpMethod='GET');
the token is 'k8s-aws-v1.' + urlsafe base64 of the URL without '=' padding. This does the same with botocore.

Argument: one JSON object {cluster, region, access_key, secret_key, token (optional), timestamp "YYYYMMDDTHHMMSSZ"}.
Prints: {"url": ..., "token": ...}.
"""

import base64
import datetime
import json
import sys
from unittest import mock

import botocore.session
from botocore.auth import SIGV4_TIMESTAMP

K8S_AWS_ID_HEADER = "x-k8s-aws-id"


def make(spec):
    session = botocore.session.get_session()
    client = session.create_client(
        "sts",
        region_name=spec["region"],
        aws_access_key_id=spec["access_key"],
        aws_secret_access_key=spec["secret_key"],
        aws_session_token=spec.get("token"),
    )

    def retrieve_k8s_aws_id(params, context, **kwargs):
        if K8S_AWS_ID_HEADER in params:
            context[K8S_AWS_ID_HEADER] = params.pop(K8S_AWS_ID_HEADER)

    def inject_k8s_aws_id_header(request, **kwargs):
        if K8S_AWS_ID_HEADER in request.context:
            request.headers[K8S_AWS_ID_HEADER] = request.context[K8S_AWS_ID_HEADER]

    client.meta.events.register("provide-client-params.sts.GetCallerIdentity", retrieve_k8s_aws_id)
    client.meta.events.register("before-sign.sts.GetCallerIdentity", inject_k8s_aws_id_header)

    signed_at = datetime.datetime.strptime(spec["timestamp"], SIGV4_TIMESTAMP)
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        url = client.generate_presigned_url(
            "get_caller_identity",
            Params={K8S_AWS_ID_HEADER: spec["cluster"]},
            ExpiresIn=60,
            HttpMethod="GET",
        )
    token = "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode("utf-8")).decode("utf-8").rstrip("=")
    return {"url": url, "token": token}


if __name__ == "__main__":
    print(json.dumps(make(json.loads(sys.argv[1]))))
